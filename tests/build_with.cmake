# cmake -DSRC=... -DBIN=... -DCC=... -P build_with.cmake
# Configures and builds the library (not the tests) with compiler CC and
# -Werror, so that both gcc and clang stay warning-free.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN}
                  -DCMAKE_C_COMPILER=${CC} -DBONBON_TESTS=OFF
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure with ${CC} failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BIN} -j2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build with ${CC} failed")
endif()
