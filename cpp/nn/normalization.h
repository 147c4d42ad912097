#pragma once

#include <array>
#include <string>

#include "kernels/enum_names.h"

namespace fastdnn {

// How a hidden layer is normalised: batch norm (Ioffe & Szegedy 2015) over the
// minibatch's rows, layer norm (Ba et al. 2016) over a row's units, weight
// norm (Salimans & Kingma 2016), which reparametrises the weights instead,
// group norm (Wu & He 2018) over each group of a row's units
// (nn/group_norm.h), or decorrelated batch norm (Huang et al. 2018), which
// whitens each group of units over the minibatch (nn/decorrelated_batch_norm.h).
enum class Normalization { none, batch, layer, weight, group, decorrelated_batch };

template <>
struct EnumNames<Normalization> {
  static constexpr const char* kind = "normalization";
  static constexpr std::array<NamedValue<Normalization>, 6> table{{
      {Normalization::none, "none"},
      {Normalization::batch, "batch"},
      {Normalization::layer, "layer"},
      {Normalization::weight, "weight"},
      {Normalization::group, "group"},
      {Normalization::decorrelated_batch, "decorrelated_batch"},
  }};
};

// out (B,C) = gain·x̂ + shift with x̂ = (inp − mean) / sqrt(variance + epsilon),
// mean and (biased) variance (C) taken over the B rows. normalized (B,C) ← x̂,
// mean, variance, inv_std (C) ← the batch's statistics, for the backward and
// the running averages. out may be inp.
void batch_norm_forward(float* out, float* normalized, float* mean, float* variance, float* inv_std,
                        const float* inp, const float* gain, const float* shift, int B, int C,
                        float epsilon);

// out (B,C) = gain·(inp − running_mean) / sqrt(running_variance + epsilon) + shift:
// prediction, where every row is normalised alone. out may be inp.
void batch_norm_inference(float* out, const float* inp, const float* gain, const float* shift,
                          const float* running_mean, const float* running_variance, int B, int C,
                          float epsilon);

// dinp (B,C) ← ∂L/∂inp; dgain, dshift (C) += Σ_rows dout·x̂, Σ_rows dout.
// One pass over the rows sums what every term needs (Σdout, Σdout·x̂), a
// second writes dinp = gain·inv_std/B·(B·dout − Σdout − x̂·Σdout·x̂).
// column_sums (2C) is scratch. dinp may be dout.
void batch_norm_backward(float* dinp, float* dgain, float* dshift, float* column_sums,
                         const float* dout, const float* normalized, const float* inv_std,
                         const float* gain, int B, int C);

// Weight norm's effective weight is w[:,j] = gain_j · v[:,j] / ‖v[:,j]‖, applied as a
// per-column scale of x·v. column_norm, scale (OC) ← ‖v[:,j]‖, gain_j / ‖v[:,j]‖;
// direction v (C,OC).
void weight_norm_scales(float* column_norm, float* scale, const float* direction, const float* gain,
                        int C, int OC);

// out (B,OC) ← scale ⊙ out + bias: x·v becomes the layer's pre-activation.
void weight_norm_forward(float* out, const float* scale, const float* bias, int B, int OC);

// From dscale (OC) = Σ_rows dout ⊙ (x·v), the gradients through the scale:
// dgain += dscale / ‖v‖ and ddirection[:,j] −= dscale_j·gain_j / ‖v_j‖³ · v[:,j]
// (the dense backward adds the direct term xᵀ·(scale ⊙ dout)).
void weight_norm_backward(float* ddirection, float* dgain, const float* dscale,
                          const float* direction, const float* gain, const float* column_norm,
                          int C, int OC);

}  // namespace fastdnn
