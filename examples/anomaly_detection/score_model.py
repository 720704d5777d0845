"""The anomaly score as the firmware's one output, built from a trained QKeras autoencoder's weights.

    d = Q_DIFF(Subtract([x, reco(x)]))   (the input tensor used twice)
    score = Q_SCORE(Dense(1, kernel of ones, no bias, not trainable)(Multiply([d, d])))

the summed squared reconstruction error (57 x the mean squared error). Every type is explicit (QKeras
quantizers) and every operation exact in the reference's float32 arithmetic, so the firmware's fixed point
gives the same raw integers. SCORE holds the largest sum DIFF allows: a score never saturates; a difference
saturates at the edges of DIFF (+-32 standard deviations).

(The squared norm of the latent vector, as CMS AXOL1TL, is not offered: on this autoencoder, trained without
a variational term, it keeps no A -> 4l event at 2.5e-5 where this score keeps 25%, and hls4ml 1.3 folds
the latent's quantized_bits into the Dense before it, losing the type: the C simulation then differs.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QuantizedBits:
    """A fixed-point type as a QKeras quantizer: signed, quantized_bits(bits, integer, alpha=1), i.e.
    ap_fixed<bits, integer + 1>; unsigned, quantized_relu(bits, integer), i.e. ap_ufixed<bits, integer>.

    (An unsigned type is a quantized ReLU, the identity on the non-negative scores: hls4ml keeps it as the
    output's type, where it would fold a linear quantized_bits after a Dense into the Dense and lose the type.)
    """

    bits: int
    integer: int
    signed: bool = True

    def quantizer(self):
        from qkeras import quantized_bits, quantized_relu

        if self.signed:
            return quantized_bits(self.bits, self.integer, keep_negative=True, alpha=1)
        return quantized_relu(self.bits, self.integer)

    def __str__(self) -> str:
        return f"{'' if self.signed else 'u'}fixed<{self.bits},{self.integer + int(self.signed)}>"

    @property
    def lsb(self) -> float:
        return 2.0 ** -(self.bits - self.integer - int(self.signed))

    @property
    def max(self) -> float:
        return 2.0**self.integer - self.lsb


DIFF = QuantizedBits(10, 5)  # x - reco in [-32, 32), step 1/16: d^2 has at most 19 bits
ONES = QuantizedBits(2, 1)  # the summing kernel: 1 is exact
SCORE = QuantizedBits(24, 16, signed=False)  # 57 * 32^2 < 2^16 at the squares' step 2^-8 (float32-exact)
OUTPUT = "score"  # the output layer: the compiled network's one output


def build(autoencoder):
    """x -> Q_SCORE(sum_i Q_DIFF(x_i - reco_i)^2), with the autoencoder's trained layers (shared, not copied)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    x = autoencoder.input
    d = tf.keras.layers.Subtract(name="difference")([x, autoencoder.output])
    d = QActivation(DIFF.quantizer(), name="difference_q")(d)
    squares = tf.keras.layers.Multiply(name="square")([d, d])
    total = QDense(1, kernel_quantizer=ONES.quantizer(), use_bias=False, name="sum", trainable=False)
    s = total(squares)
    total.set_weights([np.ones((int(x.shape[-1]), 1), dtype=np.float32)])
    score = QActivation(SCORE.quantizer(), name=OUTPUT)(s)
    return tf.keras.Model(x, score, name="ad_score")
