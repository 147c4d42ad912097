# find_package(fastdnn CONFIG): the C API as the imported target
# fastdnn::fastdnn (fastdnn.h's folder to include, libfastdnn to link), laid
# out as the installed Python package holds it: cmake/, include/, lib/.
# Point CMake here with -Dfastdnn_DIR="$(python -c 'import fastdnn; print(fastdnn.get_cmake_dir())')".
get_filename_component(_fastdnn_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(fastdnn_INCLUDE_DIR "${_fastdnn_root}/include")
set(fastdnn_LIBRARY "${_fastdnn_root}/lib/libfastdnn.so")
if(NOT EXISTS "${fastdnn_LIBRARY}" OR NOT EXISTS "${fastdnn_INCLUDE_DIR}/fastdnn.h")
  set(fastdnn_FOUND FALSE)
  set(fastdnn_NOT_FOUND_MESSAGE
      "fastdnn's C API is incomplete under ${_fastdnn_root}: no lib/libfastdnn.so or include/fastdnn.h")
  return()
endif()
if(NOT TARGET fastdnn::fastdnn)
  add_library(fastdnn::fastdnn SHARED IMPORTED)
  set_target_properties(fastdnn::fastdnn PROPERTIES
    IMPORTED_LOCATION "${fastdnn_LIBRARY}"
    IMPORTED_SONAME "libfastdnn.so"
    INTERFACE_INCLUDE_DIRECTORIES "${fastdnn_INCLUDE_DIR}")
endif()
unset(_fastdnn_root)
