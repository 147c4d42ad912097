#include "c_api/model_file_reader.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "c_api/json.h"
#include "kernels/enum_names.h"
#include "kernels/reductions.h"

namespace fastdnn {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the model file is little-endian, read here as it lies");

// The preamble (docs/model_format.md, "Byte layout").
constexpr unsigned char kMagic[8] = {0x89, 'F', 'D', 'N', '\r', '\n', 0x1A, '\n'};
constexpr uint32_t kFormatVersion = 1;
constexpr uint32_t kOldestFormatVersion = 1;
constexpr uint64_t kPreambleSize = 64;
constexpr size_t kChecksumAt = 12;
constexpr uint64_t kAlignment = 64;
constexpr int64_t kInt32Max = 2147483647;

[[noreturn]] void refuse(const std::string& problem) {
  throw ModelFileError("The model file" + problem);
}

template <class Unsigned>
Unsigned read_le(const unsigned char* at) {
  Unsigned value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

// zlib's CRC-32: polynomial 0xEDB88320 reflected, initial value and final
// XOR 0xFFFFFFFF.
uint32_t crc32_update(uint32_t crc, const unsigned char* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> entries{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      entries[n] = c;
    }
    return entries;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// The whole file's CRC-32 with the checksum field read as zeros.
uint32_t file_checksum(const unsigned char* data, size_t size) {
  const unsigned char zeros[4] = {0, 0, 0, 0};
  uint32_t crc = crc32_update(0, data, kChecksumAt);
  crc = crc32_update(crc, zeros, 4);
  return crc32_update(crc, data + kChecksumAt + 4, size - kChecksumAt - 4);
}

uint64_t padded(uint64_t length) {
  return (length + kAlignment - 1) / kAlignment * kAlignment;
}

// A JSON value, shortened for a message, as Python's _short cuts its repr.
std::string shown(const JsonValue& value) {
  std::string text;
  switch (value.type) {
    case JsonValue::Type::null:
      text = "None";
      break;
    case JsonValue::Type::boolean:
      text = value.boolean ? "True" : "False";
      break;
    case JsonValue::Type::number:
      text = value.is_integer && value.integer_fits ? std::to_string(value.integer)
                                                    : std::to_string(value.number);
      break;
    case JsonValue::Type::string:
      text = "'" + value.string + "'";
      break;
    case JsonValue::Type::array:
      text = "a list of " + std::to_string(value.array.size());
      break;
    case JsonValue::Type::object:
      text = "an object of " + std::to_string(value.object.size()) + " keys";
      break;
  }
  if (text.size() <= 80) return text;
  // Cut between UTF-8 characters, never inside one.
  size_t cut = 77;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

bool is_number(const JsonValue& value) {
  return value.type == JsonValue::Type::number;
}
bool is_integer(const JsonValue& value) {
  return is_number(value) && value.is_integer;
}

// The types a header field is checked against, named as Python's loader
// names them.
enum class Want { integer, number, string, boolean, list, dict };

bool is(const JsonValue& value, Want want) {
  switch (want) {
    case Want::integer:
      return is_integer(value);
    case Want::number:
      return is_number(value);
    case Want::string:
      return value.type == JsonValue::Type::string;
    case Want::boolean:
      return value.type == JsonValue::Type::boolean;
    case Want::list:
      return value.type == JsonValue::Type::array;
    case Want::dict:
      return value.type == JsonValue::Type::object;
  }
  return false;
}

const char* type_name(Want want) {
  constexpr const char* names[] = {"int", "number", "str", "bool", "list", "dict"};
  return names[static_cast<int>(want)];
}

// The preamble's sections checked as _model_file._sections checks them.
struct Sections {
  const unsigned char* header;
  size_t header_length;
  const unsigned char* payload;
  size_t payload_length;
};

Sections sections(const unsigned char* data, size_t size) {
  if (size < kPreambleSize) {
    // An empty file's data may be null, which memcmp must not see.
    if (size > 0 && std::memcmp(data, kMagic, std::min<size_t>(size, sizeof kMagic)) != 0) {
      throw ModelFileError("Not a fastdnn model file: its magic number is wrong.");
    }
    refuse(" is truncated: " + std::to_string(size) + " bytes, less than its " +
           std::to_string(kPreambleSize) + "-byte preamble.");
  }
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0) {
    throw ModelFileError("Not a fastdnn model file: its magic number is wrong.");
  }
  const auto version = read_le<uint32_t>(data + 8);
  const auto stored_checksum = read_le<uint32_t>(data + 12);
  const auto header_offset = read_le<uint64_t>(data + 16);
  const auto header_length = read_le<uint64_t>(data + 24);
  const auto payload_offset = read_le<uint64_t>(data + 32);
  const auto payload_length = read_le<uint64_t>(data + 40);
  if (version < kOldestFormatVersion || version > kFormatVersion) {
    throw ModelFileError("The model file has format version " + std::to_string(version) +
                         "; this fastdnn (" FASTDNN_LIBRARY_VERSION ") reads versions " +
                         std::to_string(kOldestFormatVersion) + " to " +
                         std::to_string(kFormatVersion) +
                         ": load it with the fastdnn that wrote it, or a newer one.");
  }
  for (size_t i = 48; i < kPreambleSize; ++i) {
    if (data[i] != 0) refuse("'s reserved preamble bytes are not zero.");
  }
  if (header_offset != kPreambleSize) {
    refuse("'s header offset is " + std::to_string(header_offset) + ", not " +
           std::to_string(kPreambleSize) + ".");
  }
  if (header_length > size - header_offset) {
    refuse(" is truncated: its header of " + std::to_string(header_length) +
           " bytes ends past the file's " + std::to_string(size) + " bytes.");
  }
  const uint64_t header_end = padded(header_offset + header_length);
  if (payload_offset != header_end) {
    refuse("'s payload offset is " + std::to_string(payload_offset) + ", not " +
           std::to_string(header_end) + " (the header's end, aligned to " +
           std::to_string(kAlignment) + " bytes).");
  }
  // payload_offset ≤ size + 63 here, so only payload_length can overflow the sum.
  const bool too_long = payload_length > UINT64_MAX - payload_offset;
  const uint64_t payload_end = too_long ? UINT64_MAX : payload_offset + payload_length;
  if (payload_end != size) {
    refuse(std::string(payload_end > size ? " is truncated" : " is longer than it says") +
           ": its payload ends at byte " +
           (too_long ? std::string("past 2**64") : std::to_string(payload_end)) +
           ", the file has " + std::to_string(size) + " bytes.");
  }
  if (payload_length % 4 != 0) {
    refuse("'s payload of " + std::to_string(payload_length) +
           " bytes is not a whole number of float32 values.");
  }
  if (stored_checksum != file_checksum(data, size)) {
    refuse(" is corrupt: its checksum does not match its contents.");
  }
  for (uint64_t i = header_offset + header_length; i < payload_offset; ++i) {
    if (data[i] != 0) refuse("'s padding after the header is not zero.");
  }
  return {data + header_offset, static_cast<size_t>(header_length), data + payload_offset,
          static_cast<size_t>(payload_length)};
}

// The header's fields checked as _Reader checks them, and the network built.
class Reader {
 public:
  Reader(const JsonValue& header, const Sections& sections)
      : header_(header), sections_(sections) {}

  // mapping[key], checked to be of the JSON type `want`.
  static const JsonValue& field(const JsonValue& mapping, const char* key, Want want,
                                const std::string& where) {
    const JsonValue* value = mapping.find(key);
    if (value == nullptr) refuse("'s header lacks '" + where + key + "'.");
    if (!is(*value, want)) {
      refuse("'s header has '" + where + key + "' = " + shown(*value) + ", which is not of type " +
             type_name(want) + ".");
    }
    return *value;
  }

  std::unique_ptr<LoadedModel> model() const {
    const JsonValue& name = field(header_, "class", Want::string, "");
    const bool classifier = name.string == "MLPClassifier";
    if (!classifier && name.string != "MLPRegressor") {
      refuse(" holds a " + shown(name) + "; the C API loads MLPClassifier and MLPRegressor.");
    }
    const JsonValue& params = field(header_, "params", Want::dict, "");
    field(header_, "params_not_stored", Want::list, "");
    const std::string precision = inference_precision(params);
    Network network = built_network(field(header_, "network", Want::dict, ""));
    check_fitted(field(header_, "fitted", Want::dict, ""), network);
    bool binary = false;
    if (classifier) binary = binary_classes(network.n_outputs());
    auto model = std::make_unique<LoadedModel>(
        std::string(reinterpret_cast<const char*>(sections_.header), sections_.header_length),
        std::move(network));
    model->binary_probabilities = binary;
    if (precision == "int8") {
      model->quantized = std::make_unique<QuantizedNetwork>(model->network.quantize());
    } else if (precision == "bfloat16") {
      model->products = MatrixPrecision::bfloat16;
      model->bf16_weights = std::make_unique<Bf16PackedNetwork>(pack_bf16(model->network));
    }
    return model;
  }

 private:
  // The only parameter that changes what a model predicts; the others shape
  // training, which the C API does not do. Absent, it takes its default.
  static std::string inference_precision(const JsonValue& params) {
    const JsonValue* precision = params.find("inference_precision");
    if (precision == nullptr) return "float32";
    if (precision->type == JsonValue::Type::string &&
        (precision->string == "float32" || precision->string == "int8" ||
         precision->string == "bfloat16")) {
      return precision->string;
    }
    refuse(
        "'s parameters are invalid: The 'inference_precision' parameter must be a str among "
        "{'bfloat16', 'float32', 'int8'}. Got " +
        shown(*precision) + " instead.");
  }

  std::vector<Activation> hidden_activations(const JsonValue& names,
                                             const std::vector<int>& units) const {
    std::vector<Activation> activations;
    bool ok = names.array.size() == units.size() - 2;
    for (size_t i = 0; ok && i < names.array.size(); ++i) {
      const JsonValue& name = names.array[i];
      ok = name.type == JsonValue::Type::string;
      for (const auto& entry : EnumNames<Activation>::table) {
        if (ok && name.string == entry.name && is_hidden_activation(entry.value)) {
          activations.push_back(entry.value);
        }
      }
      ok = ok && activations.size() == i + 1;
    }
    if (!ok) {
      refuse("'s network.hidden_activations = " + shown(names) +
             " is not a hidden activation per hidden layer.");
    }
    return activations;
  }

  static Activation output_activation(const JsonValue& name) {
    for (const char* known : {"identity", "logistic", "softmax", "exp"}) {
      if (name.string == known) return from_name<Activation>(known);
    }
    refuse("'s network.output_activation = " + shown(name) +
           " is not one of ('identity', 'logistic', 'softmax', 'exp').");
  }

  // LayerOptions from the header's fields by name, each checked to have
  // the JSON type of the engine's field; absent fields keep their defaults.
  static LayerOptions layer_options(const JsonValue& fields) {
    LayerOptions options;
    size_t known = 0;
    LayerOptions::for_each_field([&](const char* name, auto member) {
      const JsonValue* value = fields.find(name);
      if (value == nullptr) return;
      ++known;
      using Field = std::remove_reference_t<decltype(options.*member)>;
      const auto wrong_type = [&] {
        refuse(std::string("'s network.layer_options.") + name + " = " + shown(*value) +
               " is not of the type of the engine's field.");
      };
      if constexpr (std::is_same_v<Field, bool>) {
        if (value->type != JsonValue::Type::boolean) wrong_type();
        options.*member = value->boolean;
      } else if constexpr (has_enum_names<Field>::value) {
        if (value->type != JsonValue::Type::string) wrong_type();
        try {
          options.*member = from_name<Field>(value->string);
        } catch (const std::invalid_argument& error) {
          refuse(std::string("'s network cannot be built: ") + error.what());
        }
      } else if constexpr (std::is_same_v<Field, std::vector<float>>) {
        if (value->type != JsonValue::Type::array) wrong_type();
        for (const JsonValue& item : value->array) {
          if (!is_number(item)) wrong_type();
          (options.*member).push_back(static_cast<float>(item.number));
        }
      } else if constexpr (std::is_same_v<Field, int>) {
        if (!is_integer(*value) || !value->integer_fits ||
            value->integer < std::numeric_limits<int>::min() ||
            value->integer > std::numeric_limits<int>::max()) {
          wrong_type();
        }
        options.*member = static_cast<int>(value->integer);
      } else {
        static_assert(std::is_same_v<Field, float>, "a LayerOptions field of a new type");
        if (!is_number(*value)) wrong_type();
        options.*member = static_cast<float>(value->number);
      }
    });
    if (known != fields.object.size()) {
      std::string unknown;
      for (const auto& member : fields.object) {
        bool is_field = false;
        LayerOptions::for_each_field(
            [&](const char* name, auto) { is_field = is_field || member.first == name; });
        if (!is_field) unknown += (unknown.empty() ? "'" : ", '") + member.first + "'";
      }
      refuse("'s network.layer_options has fields [" + unknown +
             "] that this fastdnn's engine does not have.");
    }
    return options;
  }

  // An array of the payload, its place checked: (first value, length).
  std::pair<const unsigned char*, uint64_t> array(const char* name) const {
    const JsonValue& arrays = field(header_, "arrays", Want::dict, "");
    const std::string where = std::string("arrays.") + name + ".";
    const JsonValue& entry = field(arrays, name, Want::dict, "arrays.");
    const JsonValue& offset = field(entry, "offset", Want::integer, where);
    const JsonValue& length = field(entry, "length", Want::integer, where);
    const uint64_t size = sections_.payload_length;
    const bool fits = offset.integer_fits && length.integer_fits && offset.integer >= 0 &&
                      length.integer >= 0 && static_cast<uint64_t>(offset.integer) <= size &&
                      static_cast<uint64_t>(length.integer) <= (size - offset.integer) / 4 &&
                      offset.integer % static_cast<int64_t>(kAlignment) == 0;
    if (!fits) {
      refuse(std::string("'s array '") + name + "' (offset " + shown(offset) + ", " +
             shown(length) + " float32 values) does not lie " + std::to_string(kAlignment) +
             "-byte aligned within its " + std::to_string(size) + "-byte payload.");
    }
    return {sections_.payload + offset.integer, static_cast<uint64_t>(length.integer)};
  }

  Network built_network(const JsonValue& fields) const {
    const std::string where = "network.";
    const JsonValue& units_field = field(fields, "layer_units", Want::list, where);
    std::vector<int> units;
    for (const JsonValue& unit : units_field.array) {
      if (!is_integer(unit) || !unit.integer_fits || unit.integer < 1 || unit.integer > kInt32Max) {
        break;
      }
      units.push_back(static_cast<int>(unit.integer));
    }
    if (units.size() < 2 || units.size() != units_field.array.size()) {
      refuse("'s network.layer_units = " + shown(units_field) +
             " is not a list of at least two positive 32-bit integers.");
    }
    const auto hidden =
        hidden_activations(field(fields, "hidden_activations", Want::list, where), units);
    const Activation output =
        output_activation(field(fields, "output_activation", Want::string, where));
    const JsonValue& slope = field(fields, "leaky_relu_slope", Want::number, where);
    LayerOptions options = layer_options(field(fields, "layer_options", Want::dict, where));
    const auto parameters = array("parameters");
    const auto running_statistics = array("running_statistics");
    // The network allocates its arena: the header's sizes must fit the file
    // before it is built. Each term is below 2**63, so 128 bits hold the sum
    // of as many layers as a header can list.
    unsigned __int128 weights = 0;
    for (size_t i = 0; i + 1 < units.size(); ++i) {
      weights += static_cast<uint64_t>(units[i]) * units[i + 1] + units[i + 1];
    }
    if (weights > parameters.second) {
      refuse("'s network.layer_units need at least " +
             (weights <= UINT64_MAX ? std::to_string(static_cast<uint64_t>(weights))
                                    : std::string("2**64")) +
             " parameters; the file holds " + std::to_string(parameters.second) + ".");
    }
    try {
      Network network(units, hidden, output, static_cast<float>(slope.number), std::move(options));
      copy_array("parameters", parameters, network.parameters(), network.n_parameters());
      copy_array("running_statistics", running_statistics, network.running_statistics(),
                 network.n_running_statistics());
      return network;
    } catch (const std::invalid_argument& error) {
      refuse(std::string("'s network cannot be built: ") + error.what());
    }
  }

  static void copy_array(const char* name, std::pair<const unsigned char*, uint64_t> values,
                         float* target, long target_size) {
    if (values.second != static_cast<uint64_t>(target_size)) {
      refuse(" holds " + std::to_string(values.second) + " " + name +
             " values; the network its header describes has " + std::to_string(target_size) + ".");
    }
    if (values.second == 0) return;  // an empty arena's data() may be null
    std::memcpy(target, values.first, values.second * sizeof(float));
    if (!all_finite(target, target_size)) {
      refuse(std::string("'s ") + name + " hold NaN or infinity.");
    }
  }

  void check_fitted(const JsonValue& fitted, const Network& network) const {
    const std::string where = "fitted.";
    const std::pair<const char*, int64_t> counts[] = {
        {"n_features_in_", network.n_inputs()},
        {"n_outputs_", network.n_outputs()},
        {"n_layers_", network.n_layers() + 1},
    };
    for (const auto& [name, expected] : counts) {
      const JsonValue& value = field(fitted, name, Want::integer, where);
      if (!value.integer_fits || value.integer != expected) {
        refuse("'s fitted." + std::string(name) + " = " + shown(value) +
               " does not match its network (" + std::to_string(expected) + ").");
      }
    }
    const JsonValue& out_activation = field(fitted, "out_activation_", Want::string, where);
    if (out_activation.string != name_of(network.output_activation())) {
      refuse("'s fitted.out_activation_ = " + shown(out_activation) +
             " does not match its network ('" + name_of(network.output_activation()) + "').");
    }
    const JsonValue& fit_dtype = field(fitted, "fit_dtype", Want::string, where);
    if (fit_dtype.string != "float32" && fit_dtype.string != "float64") {
      refuse("'s fitted.fit_dtype = " + shown(fit_dtype) + " is not 'float32' or 'float64'.");
    }
    if (const JsonValue* names = fitted.find("feature_names_in_")) {
      bool ok = names->type == JsonValue::Type::array &&
                names->array.size() == static_cast<size_t>(network.n_inputs());
      for (size_t i = 0; ok && i < names->array.size(); ++i) {
        ok = names->array[i].type == JsonValue::Type::string;
      }
      if (!ok) {
        refuse("'s fitted.feature_names_in_ is not a list of " +
               std::to_string(network.n_inputs()) + " strings.");
      }
    }
  }

  // Whether a classifier's outputs are one binary probability; the classes
  // and the label binarizer checked against the network's outputs.
  bool binary_classes(int n_outputs) const {
    const JsonValue& classes = field(header_, "classes", Want::dict, "");
    field(classes, "dtype", Want::string, "classes.");
    const JsonValue& values = field(classes, "values", Want::list, "classes.");
    for (const JsonValue& value : values.array) {
      if (value.type == JsonValue::Type::null || value.type == JsonValue::Type::array ||
          value.type == JsonValue::Type::object) {
        refuse("'s classes are not integers, booleans, real numbers or strings: one is " +
               shown(value) + ".");
      }
    }
    const JsonValue& binarizer = field(header_, "label_binarizer", Want::dict, "");
    const JsonValue& y_type = field(binarizer, "y_type", Want::string, "label_binarizer.");
    field(binarizer, "sparse_input", Want::boolean, "label_binarizer.");
    const size_t n_classes = values.array.size();
    const bool binary = y_type.string == "binary";
    const bool fits =
        binary ? n_outputs == 1 && n_classes >= 1 && n_classes <= 2
               : (y_type.string == "multiclass" || y_type.string == "multilabel-indicator") &&
                     static_cast<size_t>(n_outputs) == n_classes;
    if (!fits) {
      refuse("'s label_binarizer.y_type " + shown(y_type) + " with " + std::to_string(n_classes) +
             " classes does not fit a network of " + std::to_string(n_outputs) + " outputs.");
    }
    return binary;
  }

  const JsonValue& header_;
  const Sections& sections_;
};

}  // namespace

std::unique_ptr<LoadedModel> model_from_bytes(const unsigned char* data, size_t size) {
  const Sections parts = sections(data, size);
  JsonValue header;
  try {
    header = parse_json(reinterpret_cast<const char*>(parts.header), parts.header_length);
  } catch (const std::invalid_argument& error) {
    refuse(std::string("'s header is not valid UTF-8 JSON: ") + error.what());
  }
  if (header.type != JsonValue::Type::object) refuse("'s header is not a JSON object.");
  return Reader(header, parts).model();
}

std::unique_ptr<LoadedModel> load_model_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw ModelFileError("Cannot open the model file '" + path + "': " + std::strerror(errno));
  }
  std::vector<unsigned char> data;
  // The file's own length, learnt by reading it: nothing it declares sizes
  // this buffer.
  unsigned char block[1 << 16];
  size_t got;
  while ((got = std::fread(block, 1, sizeof block, file)) > 0) {
    data.insert(data.end(), block, block + got);
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw ModelFileError("Cannot read the model file '" + path + "'.");
  return model_from_bytes(data.data(), data.size());
}

}  // namespace fastdnn
