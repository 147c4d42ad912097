#include "nn/bf16_packed_network.h"

#include <stdexcept>

#include "nn/network.h"

namespace fastdnn {

Bf16PackedNetwork pack_bf16(const Network& network) {
  Bf16PackedNetwork packed{network.parameters(), {}};
  for (int layer = 0; layer < network.n_layers(); ++layer) {
    const int fan_in = network.layer_units()[layer], units = network.layer_units()[layer + 1];
    // The operands of layer_forward's products: x·W, and x·P for a projection.
    packed.operands.push_back(
        bf16_pack_operand(false, fan_in, units, network.weight(layer), units));
    const long projection = network.layout(layer).projection;
    if (projection >= 0) {
      packed.operands.push_back(
          bf16_pack_operand(false, fan_in, units, network.parameters() + projection, units));
    }
  }
  return packed;
}

void check_packed_for(const Bf16PackedNetwork& packed, const Network& network) {
  if (packed.parameters != network.parameters()) {
    throw std::invalid_argument("the bf16 weights were packed from another network");
  }
}

}  // namespace fastdnn
