# tests.cmake: the fuzzers' ctest tests, for binaries in `bindir`:
#   fuzz_replay_T        the replay driver on corpus/T
#   fuzz_regressions_T   the replay driver on corpus/regressions/T
#   fuzz_asan_replay_T   the ASan+UBSan libFuzzer binary on corpus/T (-runs=0)
#   fuzz_smoke_T         a BONBON_FUZZ_SMOKE_SECONDS campaign from corpus/T
#   fuzz_attack_seeds_detected  every how2heap-style seed is detected
function(bonbon_fuzz_tests bindir have_lf)
  set(corpus ${BONBON_ROOT}/corpus)
  set(env)
  if(BONBON_FUZZ_AVOID_KNOWN)
    set(env FZ_AVOID_KNOWN=1)
  endif()
  # The attack seeds double as expected-detection tests.
  add_test(NAME fuzz_attack_seeds_detected
           COMMAND sh ${BONBON_ROOT}/fuzz/check_attack_seeds.sh
                   ${bindir}/fuzz_attack_replay ${BONBON_ROOT})
  foreach(t fuzz_ops fuzz_attack fuzz_internals)
    add_test(NAME fuzz_replay_${t}
             COMMAND ${bindir}/${t}_replay ${corpus}/${t})
    set(reg ${corpus}/regressions/${t})
    if(EXISTS ${reg})
      add_test(NAME fuzz_regressions_${t} COMMAND ${bindir}/${t}_replay ${reg})
    endif()
    if(have_lf)
      add_test(NAME fuzz_asan_replay_${t}
               COMMAND ${bindir}/${t}_asan -runs=0 ${corpus}/${t})
      set_tests_properties(fuzz_asan_replay_${t} PROPERTIES ENVIRONMENT
        "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0;UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
      math(EXPR limit "${BONBON_FUZZ_SMOKE_SECONDS} + 120")
      add_test(NAME fuzz_smoke_${t}
               COMMAND ${CMAKE_COMMAND} -E env ${env}
                       sh ${BONBON_ROOT}/fuzz/smoke.sh ${bindir}/${t}
                       ${BONBON_FUZZ_SMOKE_SECONDS} ${corpus} ${t})
      set_tests_properties(fuzz_smoke_${t} PROPERTIES TIMEOUT ${limit}
                           RUN_SERIAL ON)
    endif()
  endforeach()
endfunction()
