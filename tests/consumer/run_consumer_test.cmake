# Installs the build tree into a temporary prefix, checks the installed headers, then configures,
# builds and runs the consumer project and the example of docs/api.md.
# Args: BUILD_DIR, SOURCE_DIR, WORK_DIR
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed")
endif()

# The installed gramlite hands training commands to gramlite-train in the install's libexec folder
# (src/cli/training_helper.h): `train --help` must show the real command's options, not fail.
file(GLOB installed_helper "${WORK_DIR}/prefix/*/gramlite/gramlite-train")
if(installed_helper AND NOT EMULATOR)
  execute_process(COMMAND "${WORK_DIR}/prefix/bin/gramlite" train --help RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "--data")
    message(FATAL_ERROR "the installed gramlite did not run 'train' through ${installed_helper} (exit ${rc}): ${out}${err}")
  endif()
endif()

# The public API exposes no third-party type: no libtorch, ONNX/protobuf, OpenCV, OpenSlide,
# FlatBuffers or CLI header may be included by an installed header.
file(GLOB_RECURSE installed_headers "${WORK_DIR}/prefix/include/*.h")
set(forbidden "torch/" "ATen/" "c10/" "onnx/" "google/protobuf" "opencv2/" "openslide" "tiffio" "flatbuffers/"
              "CLI/" "nlohmann/" "model_generated.h")
set(violations "")
foreach(header IN LISTS installed_headers)
  if(NOT header MATCHES "/include/gramlite/")
    list(APPEND violations "${header}: installed outside include/gramlite")
  endif()
  file(STRINGS "${header}" includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line IN LISTS includes)
    foreach(pattern IN LISTS forbidden)
      string(FIND "${line}" "${pattern}" at)
      if(NOT at EQUAL -1)
        list(APPEND violations "${header}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  string(REPLACE ";" "\n" text "${violations}")
  message(FATAL_ERROR "installed headers break the public-API rules:\n${text}")
endif()

# The docs/api.md example: the ```cpp block after the marker line, compiled as written.
file(READ "${SOURCE_DIR}/docs/api.md" api_doc)
string(FIND "${api_doc}" "<!-- compiled by tests/consumer -->" marker)
if(marker EQUAL -1)
  message(FATAL_ERROR "docs/api.md has no example marked '<!-- compiled by tests/consumer -->'")
endif()
string(SUBSTRING "${api_doc}" ${marker} -1 api_doc)
string(FIND "${api_doc}" "```cpp\n" begin)
string(FIND "${api_doc}" "\n```\n" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
  message(FATAL_ERROR "docs/api.md: the marked example is not a ```cpp block")
endif()
math(EXPR begin "${begin} + 7")
math(EXPR length "${end} - ${begin} + 1")
string(SUBSTRING "${api_doc}" ${begin} ${length} example)
file(WRITE "${WORK_DIR}/api_example.cc" "${example}")

# Cross builds: TOOLCHAIN_FILE for the consumer, EMULATOR ("|"-separated) to run what it builds.
set(cross_args "")
if(TOOLCHAIN_FILE)
  set(cross_args "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}")
endif()
string(REPLACE "|" ";" emulator "${EMULATOR}")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build" -G Ninja ${cross_args}
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
                        -DGRAMLITE_API_EXAMPLE=${WORK_DIR}/api_example.cc RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer build failed (a public header that does not compile on its own, or the docs/api.md example)")
endif()
execute_process(COMMAND ${emulator} "${WORK_DIR}/build/consumer" "${WORK_DIR}/model.gramlite" "${WORK_DIR}/image.bmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer run failed")
endif()
if(EXISTS "${WORK_DIR}/build/api_example")
  execute_process(COMMAND ${emulator} "${WORK_DIR}/build/api_example" "${WORK_DIR}/model.gramlite" "${WORK_DIR}/image.bmp"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "api_example: ${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the docs/api.md example failed (exit ${rc})")
  endif()
endif()
