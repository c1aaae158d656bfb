# Included by the top-level CMakeLists.txt when SESSIONDESK_FUZZ is ON, before any target is
# defined: every target of this build (the decoders the fuzz targets link above all) is
# compiled with libFuzzer's coverage instrumentation, AddressSanitizer and
# UndefinedBehaviorSanitizer.
# The fuzz binaries themselves link libFuzzer's main (tests/fuzz/CMakeLists.txt).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 16)
    message(FATAL_ERROR "SESSIONDESK_FUZZ needs clang 16 or later (libFuzzer, and std::expected "
        "from libstdc++), e.g. -DCMAKE_CXX_COMPILER=clang++-16 with Debian's clang-16 and "
        "libclang-rt-16-dev; this build uses ${CMAKE_CXX_COMPILER_ID} "
        "${CMAKE_CXX_COMPILER_VERSION}.")
endif()
# libstdc++ 12 offers <expected> only when __cpp_concepts >= 202002L. Clang implements what it
# needs (P0848, conditionally trivial special members) since 16 but announces 202002L only from
# 19, so earlier versions are told.
if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
    add_compile_options(-D__cpp_concepts=202002L -Wno-builtin-macro-redefined
                        -Wno-macro-redefined)
endif()
# Undefined behaviour aborts, so that libFuzzer records it as a finding.
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
