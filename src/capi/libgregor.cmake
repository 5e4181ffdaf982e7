# libgregor: the flat C client library for foreign-function interfaces (docs/libgregor.md).
# A shared library of its own, linked to librdkafka directly; the broker never links it.
include(GNUInstallDirs)
set(GREGOR_CLIENT_VERSION 0.1.0)
set(GREGOR_CLIENT_SOVERSION 0)

file(GLOB CAPI_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/capi/*.c)
add_library(gregor_client SHARED ${CAPI_SOURCES})
set_target_properties(gregor_client PROPERTIES
  OUTPUT_NAME gregor
  VERSION ${GREGOR_CLIENT_VERSION}
  SOVERSION ${GREGOR_CLIENT_SOVERSION}
  C_VISIBILITY_PRESET hidden
  PUBLIC_HEADER ${CMAKE_SOURCE_DIR}/src/capi/gregor_client.h)
target_compile_definitions(gregor_client PRIVATE GREGOR_CLIENT_BUILD=1)
target_include_directories(gregor_client INTERFACE ${CMAKE_SOURCE_DIR}/src/capi)
target_link_libraries(gregor_client PRIVATE PkgConfig::RDKAFKA Threads::Threads)
if(NOT GREGOR_SANITIZE AND NOT GREGOR_FUZZ)
  # Sanitizer runtimes come with the executable, so only plain builds can insist on this.
  target_link_options(gregor_client PRIVATE -Wl,--no-undefined)
endif()

# The .pc file names its prefix relative to where it is installed, so it stays right under any
# --prefix and DESTDIR (pkg-config's ${pcfiledir}).
file(RELATIVE_PATH GREGOR_CLIENT_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" GREGOR_CLIENT_PC_TO_PREFIX "${GREGOR_CLIENT_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/src/capi/gregor-client.pc.in ${CMAKE_BINARY_DIR}/gregor-client.pc @ONLY)
install(TARGETS gregor_client COMPONENT libgregor
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/gregor-client.pc COMPONENT libgregor
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The C example of the seed demo, and the bad-input test (run by ctest, so under ASan by `make asan`).
add_executable(libgregor_seed_demo ${CMAKE_SOURCE_DIR}/examples/c/seed_demo.c)
target_link_libraries(libgregor_seed_demo PRIVATE gregor_client)
add_executable(test_capi_bad_input ${CMAKE_SOURCE_DIR}/tests/unit/capi/test_bad_input.c)
target_link_libraries(test_capi_bad_input PRIVATE gregor_client)
add_test(NAME test_capi_bad_input COMMAND test_capi_bad_input WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(test_capi_bad_input PROPERTIES TIMEOUT 120)

# The fuzz target of the library's decoders of caller input (header blocks, partition lists).
if(GREGOR_FUZZ)
  target_link_libraries(fuzz_capi_input PRIVATE gregor_client)
endif()
