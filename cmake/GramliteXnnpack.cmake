# Imported targets for Debian's XNNPACK and pthreadpool (neither ships a CMake package): used by
# the build and, installed next to gramliteConfig.cmake, by projects that link gramlite's static
# libraries (which name them as link-only dependencies).
if(NOT TARGET gramlite_xnnpack)
  find_path(GRAMLITE_XNNPACK_INCLUDE_DIR xnnpack.h)
  find_library(GRAMLITE_XNNPACK_LIBRARY XNNPACK)
  find_path(GRAMLITE_PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
  find_library(GRAMLITE_PTHREADPOOL_LIBRARY pthreadpool)
  if(GRAMLITE_XNNPACK_INCLUDE_DIR AND GRAMLITE_XNNPACK_LIBRARY AND GRAMLITE_PTHREADPOOL_INCLUDE_DIR
     AND GRAMLITE_PTHREADPOOL_LIBRARY)
    add_library(gramlite_pthreadpool INTERFACE IMPORTED)
    set_target_properties(gramlite_pthreadpool PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${GRAMLITE_PTHREADPOOL_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${GRAMLITE_PTHREADPOOL_LIBRARY}")
    add_library(gramlite_xnnpack INTERFACE IMPORTED)
    set_target_properties(gramlite_xnnpack PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${GRAMLITE_XNNPACK_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${GRAMLITE_XNNPACK_LIBRARY};gramlite_pthreadpool")
  endif()
endif()
