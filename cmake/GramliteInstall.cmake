# install(EXPORT) with a package config, so that a consumer project can find_package(gramlite).
include(CMakePackageConfigHelpers)
get_property(gramlite_libraries GLOBAL PROPERTY GRAMLITE_LIBRARIES)
install(TARGETS ${gramlite_libraries} gramlite_warnings EXPORT gramliteTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Only the public headers (include/gramlite/<module>/) of the modules this build has; private
# headers under src/ and generated ones (the FlatBuffers schema code) never leave the build tree.
file(GLOB gramlite_public_modules RELATIVE ${PROJECT_SOURCE_DIR}/include/gramlite ${PROJECT_SOURCE_DIR}/include/gramlite/*)
foreach(module IN LISTS gramlite_public_modules)
  if(TARGET gramlite_${module})
    install(DIRECTORY include/gramlite/${module} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gramlite
      FILES_MATCHING PATTERN "*.h")
  endif()
endforeach()
install(EXPORT gramliteTargets NAMESPACE gramlite:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gramlite)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/gramliteConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gramliteConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gramlite)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gramliteConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gramliteConfig.cmake ${PROJECT_BINARY_DIR}/gramliteConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/GramliteXnnpack.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/gramlite)
