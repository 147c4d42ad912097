#pragma once

// An enum's names, written once: a table of (value, name) pairs specialised
// beside the enum, from which names are parsed, printed and listed (the
// bindings hand the lists to Python, so no name is spelled twice).

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace fastdnn {

template <class Enum>
struct NamedValue {
  Enum value;
  const char* name;
};

// Specialised beside each enum with
//   static constexpr const char* kind;  // what an error message calls it
//   static constexpr std::array<NamedValue<Enum>, N> table;
template <class Enum>
struct EnumNames;

template <class T, class = void>
struct has_enum_names : std::false_type {};
template <class T>
struct has_enum_names<T, std::void_t<decltype(EnumNames<T>::table)>> : std::true_type {};

template <class Enum>
std::vector<std::string> enum_names() {
  std::vector<std::string> names;
  for (const auto& entry : EnumNames<Enum>::table) names.emplace_back(entry.name);
  return names;
}

template <class Enum>
Enum from_name(const std::string& name) {
  for (const auto& entry : EnumNames<Enum>::table) {
    if (name == entry.name) return entry.value;
  }
  std::string known;
  for (const auto& entry : EnumNames<Enum>::table) {
    known += (known.empty() ? "'" : ", '") + std::string(entry.name) + "'";
  }
  throw std::invalid_argument("unknown " + std::string(EnumNames<Enum>::kind) + " '" + name +
                              "'; expected one of " + known);
}

template <class Enum>
std::string name_of(Enum value) {
  for (const auto& entry : EnumNames<Enum>::table) {
    if (entry.value == value) return entry.name;
  }
  throw std::logic_error(std::string(EnumNames<Enum>::kind) + " without a name");
}

}  // namespace fastdnn
