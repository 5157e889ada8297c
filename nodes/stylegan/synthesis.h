#pragma once
#include "engine/descriptor.h"
namespace sumi {
// synth.stylegan: the StyleGAN2-style synthesis network - a W+ code into an
// RGB portrait (deterministic: the model's noise is frozen at export).
NodeDescriptor synth_stylegan_node();
}  // namespace sumi
