# gramlite_warnings: an interface target every gramlite target links privately.
add_library(gramlite_warnings INTERFACE)
target_compile_options(gramlite_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual -Wformat=2
  $<$<BOOL:${GRAMLITE_WERROR}>:-Werror>)

# gramlite_add_library(NAME SOURCES... [DEPS ...]): a static library gramlite_NAME with alias
# gramlite::NAME, exported for install. Public headers live in include/gramlite/<module>/ (the only
# ones installed); src/ holds each module's private headers, visible inside this build only.
function(gramlite_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gramlite_${name} ${ARG_SOURCES})
  add_library(gramlite::${name} ALIAS gramlite_${name})
  set_target_properties(gramlite_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(gramlite_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/src>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(gramlite_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE gramlite_warnings ${ARG_PRIVATE_DEPS})
  set_property(GLOBAL APPEND PROPERTY GRAMLITE_LIBRARIES gramlite_${name})
endfunction()

# gramlite_add_test(NAME SOURCES... DEPS... [LABELS ...]): one GoogleTest executable per module.
function(gramlite_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main gramlite_warnings)
  target_compile_definitions(${name} PRIVATE
    GRAMLITE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" GRAMLITE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS fast)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
