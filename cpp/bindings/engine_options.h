#pragma once

// The engine's option structs to and from Python mappings keyed by field
// name. The structs list their fields once (for_each_field); enums travel as
// their names (kernels/enum_names.h), everything else as pybind11 casts it.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <set>
#include <stdexcept>
#include <string>

#include "kernels/enum_names.h"

template <class Field>
Field field_from_python(pybind11::handle value, const std::string& name) {
  if constexpr (fastdnn::has_enum_names<Field>::value) {
    if (!pybind11::isinstance<pybind11::str>(value)) {
      throw pybind11::type_error("option " + name + " takes a name, not " +
                                 std::string(pybind11::str(pybind11::type::of(value))));
    }
    return fastdnn::from_name<Field>(value.cast<std::string>());
  } else {
    try {
      return value.cast<Field>();
    } catch (const pybind11::cast_error&) {
      throw pybind11::type_error("option " + name + " cannot take " +
                                 std::string(pybind11::repr(value)));
    }
  }
}

// Sets the mapping's fields of options; a key that names no field is an
// error, so a misspelt option is never ignored.
template <class Options>
void update_options_from_mapping(Options& options, const pybind11::dict& mapping) {
  std::set<std::string> known;
  Options::for_each_field([&](const char* name, auto member) {
    known.insert(name);
    if (!mapping.contains(name)) return;
    using Field = std::remove_reference_t<decltype(options.*member)>;
    options.*member = field_from_python<Field>(mapping[name], name);
  });
  for (const auto& item : mapping) {
    const auto key = pybind11::str(item.first).cast<std::string>();
    if (known.count(key) == 0) throw std::invalid_argument("unknown engine option '" + key + "'");
  }
}

// Options with the mapping's fields set and the others at their defaults.
template <class Options>
Options options_from_mapping(const pybind11::dict& mapping) {
  Options options;
  update_options_from_mapping(options, mapping);
  return options;
}

template <class Options>
pybind11::dict options_to_mapping(const Options& options) {
  pybind11::dict mapping;
  Options::for_each_field([&](const char* name, auto member) {
    const auto& value = options.*member;
    using Field = std::decay_t<decltype(value)>;
    if constexpr (fastdnn::has_enum_names<Field>::value) {
      mapping[name] = fastdnn::name_of(value);
    } else {
      mapping[name] = value;
    }
  });
  return mapping;
}
