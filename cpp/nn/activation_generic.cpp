#define FASTDNN_ACTIVATION_ISA generic
#include "nn/activation_loops.h"
