# SPDX-License-Identifier: MIT
# tests/package/run_consumer.cmake: one package test as one command (cmake -P), the way users consume graft.
#   MODE=install           cmake --install GRAFT_BUILD_DIR --prefix PREFIX (a fresh prefix every run)
#   MODE=find_package      configure find_package/ against PREFIX, build it, run it
#   MODE=add_subdirectory  configure add_subdirectory/ on GRAFT_SOURCE_DIR, build it, run it
#   MODE=pkg_config        check `pkg-config --cflags graft` from PREFIX, compile add_subdirectory/main.cpp with it, run it
# Other inputs: WORK_DIR (scratch dir), CXX, GENERATOR, MAKE_PROGRAM, EIGEN3_DIR, WARN_FLAGS, PKG_CONFIG.
cmake_minimum_required(VERSION 3.21)

set(here ${CMAKE_CURRENT_LIST_DIR})

# Runs one step; on failure stops the test and shows everything the step printed.
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

# Configures, builds and runs the consumer project in ${here}/${name} with extra -D arguments.
function(consumer name)
  set(bin ${WORK_DIR}/${name}-build)
  file(REMOVE_RECURSE ${bin})  # never let a stale cache hide a broken package
  set(args -S ${here}/${name} -B ${bin} -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release
      -DCMAKE_CXX_COMPILER=${CXX} "-DCMAKE_CXX_FLAGS=${WARN_FLAGS}")
  if(MAKE_PROGRAM)
    list(APPEND args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
  endif()
  if(EIGEN3_DIR)
    list(APPEND args -DEigen3_DIR=${EIGEN3_DIR})
  endif()
  step("configure ${name}" ${CMAKE_COMMAND} ${args} ${ARGN})
  step("build ${name}" ${CMAKE_COMMAND} --build ${bin} --config Release)
  foreach(exe ${bin}/app ${bin}/Release/app ${bin}/app.exe ${bin}/Release/app.exe)
    if(EXISTS ${exe})
      step("run ${name}" ${exe})
      message("${step_output}")
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no app executable under ${bin}")
endfunction()

set(prefix ${WORK_DIR}/prefix)

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${prefix})
  step("install into ${prefix}" ${CMAKE_COMMAND} --install ${GRAFT_BUILD_DIR} --prefix ${prefix})
  foreach(f include/graft/graft.hpp share/cmake/graft/graftConfig.cmake share/cmake/graft/graftConfigVersion.cmake
            share/cmake/graft/graftTargets.cmake share/pkgconfig/graft.pc)
    if(NOT EXISTS ${prefix}/${f})
      message(FATAL_ERROR "the install tree lacks ${f}")
    endif()
  endforeach()
  file(READ ${prefix}/share/cmake/graft/graftConfig.cmake config)
  string(REGEX REPLACE "#[^\n]*" "" config "${config}")  # the code only, not the comments
  if(config MATCHES "set\\(BLA_VENDOR")
    message(FATAL_ERROR "graftConfig.cmake sets BLA_VENDOR; the BLAS is the user's choice")
  endif()
  foreach(dep "find_dependency\\(Eigen3" "find_dependency\\(BLAS")
    if(NOT config MATCHES "${dep}")
      message(FATAL_ERROR "graftConfig.cmake does not call ${dep}")
    endif()
  endforeach()

elseif(MODE STREQUAL "find_package")
  consumer(find_package -DCMAKE_PREFIX_PATH=${prefix})

elseif(MODE STREQUAL "add_subdirectory")
  consumer(add_subdirectory -DGRAFT_SOURCE_DIR=${GRAFT_SOURCE_DIR})

elseif(MODE STREQUAL "pkg_config")
  set(ENV{PKG_CONFIG_PATH} "${prefix}/share/pkgconfig")
  step("pkg-config --cflags graft" ${PKG_CONFIG} --cflags graft)
  string(STRIP "${step_output}" cflags)
  message(STATUS "cflags: ${cflags}")
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  # The include dir must be the installed one, wherever --prefix put it (graft.pc is relocatable).
  set(found_include FALSE)
  foreach(flag IN LISTS cflags)
    if(flag MATCHES "^-I(.*)$")
      file(REAL_PATH "${CMAKE_MATCH_1}" dir)
      file(REAL_PATH "${prefix}/include" want)
      if(dir STREQUAL want)
        set(found_include TRUE)
      endif()
    endif()
  endforeach()
  if(NOT found_include OR NOT "-std=c++20" IN_LIST cflags)
    message(FATAL_ERROR "pkg-config --cflags graft gave '${cflags}': expected -std=c++20 and -I${prefix}/include")
  endif()
  step("pkg-config --libs graft" ${PKG_CONFIG} --libs graft)
  string(STRIP "${step_output}" libs)
  separate_arguments(libs UNIX_COMMAND "${libs}")
  separate_arguments(warn UNIX_COMMAND "${WARN_FLAGS}")
  file(MAKE_DIRECTORY ${WORK_DIR}/pkg_config-build)
  set(exe ${WORK_DIR}/pkg_config-build/app)
  step("compile with pkg-config flags" ${CXX} -O1 ${warn} ${cflags} ${here}/add_subdirectory/main.cpp -o ${exe} ${libs})
  step("run pkg_config app" ${exe})
  message("${step_output}")

else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()
