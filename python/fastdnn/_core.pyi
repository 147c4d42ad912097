"""Types of fastdnn's C++ engine (cpp/bindings/): private, used by the estimators.

Arrays the engine reads are converted to C-contiguous float32 (or the dtype
named) where they are not; arrays it writes in place must already be so.
tests/test_core_stub.py checks that this stub names what the module has.
"""

from typing import Literal, TypedDict

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

class TrainerOptions(TypedDict, total=False):
    """TrainerOptions' fields (cpp/train/trainer.h), Trainer's keywords."""

    loss: str
    solver: str
    alpha: float
    learning_rate: float
    momentum: float
    nesterov: bool
    beta_1: float
    beta_2: float
    epsilon: float
    collect_statistics: bool
    collect_histograms: bool
    n_threads: int
    l1: float
    weight_decay: float
    rho: float
    rmsprop_momentum: float
    clip_value: float
    clip_norm: float
    averaging: str
    ema_decay: float
    trainable_layers: list[int]
    layer_learning_rates: list[float]
    layer_schedule: str
    label_smoothing: float
    distillation_weight: float
    distillation_temperature: float
    training_precision: str

class LayerOptions(TypedDict, total=False):
    """LayerOptions' fields (cpp/nn/network.h), Network's keywords."""

    normalization: str
    normalize_after_activation: bool
    batch_norm_momentum: float
    norm_epsilon: float
    norm_groups: int
    dropout: list[float]
    input_dropout: float
    dropout_kind: str
    input_noise: float
    activity_l1: float
    residual: bool

sanitized_build: bool  # built with AddressSanitizer and UBSan (CI's second run)

def enum_names() -> dict[str, list[str]]: ...
def default_trainer_options() -> TrainerOptions: ...
def default_layer_options() -> LayerOptions: ...

class Dataset:
    def __init__(self, X: npt.ArrayLike) -> None: ...
    @staticmethod
    def from_csr(
        data: npt.ArrayLike,
        indices: npt.ArrayLike,
        indptr: npt.ArrayLike,
        n_features: int,
    ) -> Dataset: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def n_features(self) -> int: ...

class QuantizedNetwork:
    @property
    def n_layers(self) -> int: ...

class Bf16PackedNetwork:
    @property
    def n_operands(self) -> int: ...

class Network:
    def __init__(
        self,
        layer_units: list[int],
        hidden_activation: str | list[str],
        output_activation: str,
        leaky_relu_slope: float = 0.01,
        **layer_options: object,
    ) -> None: ...
    @property
    def layer_options(self) -> LayerOptions: ...
    def set_layer_options(self, **fields: object) -> None: ...
    def predict_layers(
        self, data: Dataset, first: int, last: int, n_threads: int = 0
    ) -> FloatArray: ...
    def layout(self, layer: int) -> dict[str, int]: ...
    @property
    def running_statistics(self) -> FloatArray: ...
    @property
    def layer_units(self) -> list[int]: ...
    @property
    def hidden_activations(self) -> list[str]: ...
    @property
    def leaky_relu_slope(self) -> float: ...
    @property
    def output_activation(self) -> str: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def parameters(self) -> FloatArray: ...
    def coef(self, layer: int) -> FloatArray: ...
    def intercept(self, layer: int) -> FloatArray: ...
    def layer_range(self, layer: int) -> tuple[int, int]: ...
    def weight_changes(
        self, before: npt.ArrayLike
    ) -> list[tuple[float, float, float]]: ...
    def initialize(
        self,
        seed: int,
        glorot_factor: float = 6.0,
        weight_init: str = "auto",
        n_threads: int = 0,
    ) -> None: ...
    def predict(
        self,
        data: Dataset,
        n_threads: int = 0,
        dropout_seed: int | None = None,
        dropout_sample: int = 0,
        quantized: QuantizedNetwork | None = None,
        float64: bool = False,
        precision: str = "float32",
        bf16_weights: Bf16PackedNetwork | None = None,
    ) -> FloatArray | npt.NDArray[np.float64]: ...
    def predict_serving(
        self,
        X: object,
        n_threads: int = 0,
        quantized: QuantizedNetwork | None = None,
        precision: str = "float32",
        bf16_weights: Bf16PackedNetwork | None = None,
    ) -> npt.NDArray[np.float32] | npt.NDArray[np.float64] | None: ...
    def quantize(self) -> QuantizedNetwork: ...
    def pack_bf16(self) -> Bf16PackedNetwork: ...
    def loss_and_gradient(
        self,
        data: Dataset,
        targets: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        loss: str,
        alpha: float,
        n_threads: int = 0,
        seed: int = 0,
        step: int = 0,
        l1: float = 0.0,
        label_smoothing: float = 0.0,
        teacher_logits: npt.ArrayLike | None = None,
        distillation_weight: float = 0.5,
        distillation_temperature: float = 1.0,
    ) -> tuple[float, FloatArray]: ...
    def predict_logits(self, data: Dataset, n_threads: int = 0) -> FloatArray: ...
    def training_activations(
        self, data: Dataset, seed: int = 0, step: int = 0
    ) -> list[FloatArray]: ...

class Trainer:
    def __init__(self, network: Network, **options: object) -> None: ...
    @property
    def options(self) -> TrainerOptions: ...
    def set_options(self, **fields: object) -> None: ...
    learning_rate: float
    label_smoothing: float
    step: int
    averaging_active: bool
    averaged_count: int
    @property
    def batches_done(self) -> int: ...
    @property
    def batches_in_epoch(self) -> int: ...
    @property
    def optimizer_state(self) -> list[FloatArray]: ...
    @property
    def averaged_parameters(self) -> FloatArray: ...
    def statistics(self) -> dict[str, object]: ...
    def train_epoch(
        self,
        data: Dataset,
        targets: npt.ArrayLike,
        sample_weight: npt.ArrayLike | None,
        batch_size: int,
        shuffle: bool,
        seed: int,
        epoch: int,
        learning_rates: npt.ArrayLike | None = None,
        teacher_logits: npt.ArrayLike | None = None,
    ) -> float: ...

def dropout_scales(
    rows: int,
    cols: int,
    rate: float,
    kind: str,
    seed: int,
    step: int,
    index: int,
    first_row: int = 0,
) -> tuple[FloatArray, FloatArray]: ...
def gaussian_noise(
    rows: int, cols: int, std: float, seed: int, step: int
) -> FloatArray: ...
def full_batch_loss(
    network: Network,
    data: Dataset,
    targets: npt.ArrayLike,
    sample_weight: npt.ArrayLike | None,
    loss: str,
    alpha: float,
    n_threads: int = 0,
    l1: float = 0.0,
) -> float: ...
def histogram_bin_edges() -> list[float]: ...

# Kernels (cpp/bindings/bind_kernels.cpp), for the tests and benchmarks.
def sgemm(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    transpose_a: bool = False,
    transpose_b: bool = False,
    beta: float = 0.0,
    bias: FloatArray | None = None,
    b_column_sums: FloatArray | None = None,
) -> None: ...
def activation_forward(
    x: FloatArray, activation: str, leaky_relu_slope: float = 0.01
) -> None: ...
def activation_backward(
    delta: FloatArray,
    pre_activation: npt.ArrayLike,
    output: npt.ArrayLike,
    activation: str,
    leaky_relu_slope: float = 0.01,
) -> None: ...
def active_isa() -> Literal["generic", "avx2", "avx512"]: ...
def set_isa(name: str) -> None: ...
def supported_isas() -> list[str]: ...
def all_finite(x: npt.ArrayLike) -> bool: ...
def buffer_allocation_count() -> int: ...
def thread_count(n_threads: int = 0) -> int: ...
def int8_gemm(
    a: npt.ArrayLike, b: npt.ArrayLike, kernel: str = "automatic", n_threads: int = 0
) -> npt.NDArray[np.int32]: ...
def int8_kernels() -> list[str]: ...
def automatic_int8_kernel() -> str: ...
def bf16_gemm(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    transpose_a: bool = False,
    transpose_b: bool = False,
    beta: float = 0.0,
    bias: FloatArray | None = None,
    b_column_sums: FloatArray | None = None,
    kernel: str = "automatic",
    n_threads: int = 0,
) -> None: ...
class Bf16PackedOperand:
    @property
    def kernel(self) -> str: ...
    @property
    def nbytes(self) -> int: ...

def bf16_pack(
    b: FloatArray, transpose_b: bool = False, kernel: str = "automatic"
) -> Bf16PackedOperand: ...
def bf16_gemm_prepacked(
    a: FloatArray,
    b: Bf16PackedOperand,
    c: FloatArray,
    transpose_a: bool = False,
    beta: float = 0.0,
    bias: FloatArray | None = None,
    n_threads: int = 0,
) -> None: ...
def bf16_kernels() -> list[str]: ...
def automatic_bf16_kernel() -> str: ...
def bf16_is_accelerated() -> bool: ...
def quantize_rows(
    x: npt.ArrayLike,
) -> tuple[npt.NDArray[np.uint8], FloatArray, npt.NDArray[np.int32]]: ...
def philox4x32(
    key: int, counter_high: int, counter_low: int
) -> tuple[int, int, int, int]: ...
