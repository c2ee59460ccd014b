# targets.cmake: the fuzz targets, with clang. For each target T:
#   T          libFuzzer, no sanitizer (campaigns, execs/s)
#   T_asan     libFuzzer with ASan+UBSan (campaigns, corpus replay)
#   T_replay   standalone replay driver (ctest, reproducing findings)
# The allocator is compiled with the same instrumentation as the harness:
# it is the code under test.
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_c_source_compiles(
  "int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }"
  FZ_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)

# Every allocator source (the standalone build's list; from the top-level
# project, bonbon_prefixed_library uses BONBON_SOURCES).
file(GLOB FZ_ALLOC_SOURCES ${BONBON_ROOT}/allocator/*.c)

set(FZ_PLANT_FLAGS)
if(NOT BONBON_FUZZ_PLANT STREQUAL "")
  set(FZ_PLANT_FLAGS -DBB_PLANT_BUG=${BONBON_FUZZ_PLANT})
endif()

# The prefixed-only allocator (no malloc/free exported), with extra flags.
# The top-level project provides bonbon_prefixed_library; standalone, this
# is the same recipe.
if(NOT COMMAND bonbon_prefixed_library)
  find_package(Threads REQUIRED)
  function(bonbon_prefixed_library name)
    add_library(${name} STATIC ${FZ_ALLOC_SOURCES})
    target_compile_definitions(${name} PRIVATE BB_NO_STD_NAMES)
    target_compile_options(${name} PRIVATE -Wall -Wextra -Werror
      -D_GNU_SOURCE -fvisibility=hidden -fno-strict-aliasing
      -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc
      -fno-builtin-realloc -ftls-model=initial-exec ${ARGN})
    target_include_directories(${name} PUBLIC ${BONBON_ROOT}/allocator/include)
    target_link_libraries(${name} PUBLIC Threads::Threads)
  endfunction()
endif()

set(FZ_HARNESS_FLAGS -D_GNU_SOURCE -fno-builtin -fno-strict-aliasing
    -Wall -Wextra -Werror)
set(FZ_COMMON ${CMAKE_CURRENT_LIST_DIR}/fz_common.c
    ${CMAKE_CURRENT_LIST_DIR}/fz_source.c ${CMAKE_CURRENT_LIST_DIR}/fz_model.c)
set(FZ_TARGETS fuzz_ops fuzz_attack fuzz_internals)

set(FZ_LF -fsanitize=fuzzer-no-link)
set(FZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)

# variant: suffix, instrumentation flags, link flags, extra sources
function(fz_variant suffix cflags lflags extra)
  bonbon_prefixed_library(bonbon_fuzzlib${suffix} ${FZ_PLANT_FLAGS} ${cflags})
  foreach(t ${FZ_TARGETS})
    add_executable(${t}${suffix} ${CMAKE_CURRENT_LIST_DIR}/${t}.c
                   ${FZ_COMMON} ${extra})
    target_compile_options(${t}${suffix} PRIVATE ${FZ_HARNESS_FLAGS}
                           ${FZ_PLANT_FLAGS} ${cflags})
    if(cflags)
      # Comparison tracing helps the fuzzer solve the allocator's checks,
      # not the model's loops, where it cost a sixth of the run time.
      target_compile_options(${t}${suffix} PRIVATE
                             -fno-sanitize-coverage=trace-cmp)
    endif()
    target_include_directories(${t}${suffix} PRIVATE
      ${BONBON_ROOT}/allocator ${BONBON_ROOT}/allocator/include
      ${CMAKE_CURRENT_LIST_DIR})
    target_link_options(${t}${suffix} PRIVATE ${lflags})
    target_link_libraries(${t}${suffix} PRIVATE bonbon_fuzzlib${suffix})
  endforeach()
endfunction()

fz_variant(_replay "" "" ${CMAKE_CURRENT_LIST_DIR}/replay_main.c)
if(FZ_HAVE_LIBFUZZER)
  fz_variant("" "${FZ_LF}" "-fsanitize=fuzzer" "")
  fz_variant(_asan "${FZ_LF};${FZ_SAN}" "-fsanitize=fuzzer;${FZ_SAN}" "")
else()
  message(STATUS "bonbon: clang without libFuzzer: only replay drivers")
endif()
