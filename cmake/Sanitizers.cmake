# Hardened builds (docs/hardening.md).
#
# LM_SANITIZE=address,undefined builds every target (runner, stores, plugins,
# tests) with those sanitizers. The runner dlopen()s plugins, and the ASan
# runtime must come with the main executable: it does here, because the
# executables are built with the same flags.
#
# LM_FUZZ=ON (clang only) instruments everything for libFuzzer as well, so the
# fuzz targets under tests/fuzz see coverage of the code they drive.
set(LM_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined (empty: none)")
option(LM_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

set(_lm_sanitizers "${LM_SANITIZE}")
if(LM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LM_FUZZ=ON needs clang: configure with -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # The fuzz targets themselves link with -fsanitize=fuzzer (tests/fuzz);
  # everything else only gets the coverage hooks.
  if(_lm_sanitizers STREQUAL "")
    set(_lm_sanitizers "address,undefined")
  endif()
  set(_lm_sanitizers "fuzzer-no-link,${_lm_sanitizers}")
endif()

if(NOT _lm_sanitizers STREQUAL "")
  # No recovery: a UBSan finding fails the test that hit it instead of
  # scrolling past in a log.
  set(_lm_sanitize_flags -fsanitize=${_lm_sanitizers} -fno-omit-frame-pointer)
  # -O1 after the build type's flags: instrumented code compiles much faster
  # than at -O2 and still runs at a useful speed (the sanitizers' advice).
  add_compile_options(-O1)
  if(_lm_sanitizers MATCHES "undefined")
    list(APPEND _lm_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  # Not for a target with the property LM_NO_SANITIZE: the SDK's plugin
  # entry library, which plugin authors link into plugins built without
  # sanitizers (and the tests build such plugins).
  set(_lm_sanitized "$<NOT:$<BOOL:$<TARGET_PROPERTY:LM_NO_SANITIZE>>>")
  add_compile_options("$<${_lm_sanitized}:${_lm_sanitize_flags}>")
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # gcc 12's instrumentation makes -Wmaybe-uninitialized fire inside
    # libstdc++ (std::regex, std::function) on code it does not flag
    # unsanitized; the normal build keeps the warning.
    add_compile_options(-Wno-maybe-uninitialized)
    if(_lm_sanitizers MATCHES "undefined")
      # gcc 12: the null checks turn off its assumption that functions have
      # non-null addresses, so `&f<1> != nullptr` for a function template is
      # no longer a constant expression, and LINK_MIGRATION's static_assert
      # (sdk migration.hpp) uses one. Plugins (MODULE libraries) go without
      # these three checks; a null dereference there still crashes the test.
      add_compile_options(
        "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,MODULE_LIBRARY>:-fno-sanitize=null,nonnull-attribute,returns-nonnull-attribute>")
    endif()
  endif()
  add_link_options(${_lm_sanitize_flags})
  message(STATUS "link-migration: sanitizers ${_lm_sanitizers}")
endif()

if(LM_SANITIZE MATCHES "address")
  # Set in ctest's own environment, so every test and every process a test
  # starts inherits it. Some tests crash plugins on purpose (SIGSEGV, abort)
  # in the runner's supervised worker and check that the runner reports the
  # signal: ASan must let those signals through rather than turn them into a
  # report and exit 1. Leaks are still checked, in every process.
  set(LM_SANITIZER_ENV_FILE "${PROJECT_BINARY_DIR}/sanitizer_env.cmake")
  file(WRITE "${LM_SANITIZER_ENV_FILE}"
    "set(ENV{ASAN_OPTIONS} \"handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:allow_user_segv_handler=1:detect_leaks=1:abort_on_error=0\")\n"
    "set(ENV{UBSAN_OPTIONS} \"print_stacktrace=1:halt_on_error=1\")\n")
  set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY TEST_INCLUDE_FILES "${LM_SANITIZER_ENV_FILE}")
endif()
