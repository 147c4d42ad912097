#define FASTDNN_ACTIVATION_ISA avx512
#include "nn/activation_loops.h"
