# Fails when the death-case list in tests/CMakeLists.txt and the cases the
# program knows (death_test --list) differ, so no case is silently skipped.
execute_process(COMMAND ${PROG} --list OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "death_test --list failed")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" ";" listed "${out}")
list(SORT listed)
set(want ${CASES})
list(SORT want)
if(NOT listed STREQUAL want)
  message(FATAL_ERROR "death cases differ:\n program: ${listed}\n ctest:   ${want}")
endif()
