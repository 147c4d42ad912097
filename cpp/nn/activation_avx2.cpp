#define FASTDNN_ACTIVATION_ISA avx2
#include "nn/activation_loops.h"
