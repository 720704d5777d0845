"""Jet images: the constituents' transverse momenta on an (eta, phi) grid centred on the jet axis."""

from __future__ import annotations

import numpy as np

from trigger.data.jets import R


def jet_images(constituents: np.ndarray, pixels: int = 16, half_width: float = R) -> np.ndarray:
    """(n, pixels, pixels, 1) images of `constituents` (n, k, 3: pT, eta and phi relative to the jet axis).

    Pixel (i, j) holds the summed pT of the constituents with relative eta in the i-th and relative phi in
    the j-th of `pixels` equal bins over [-half_width, half_width), as a fraction of the jet's constituents'
    summed pT (each image sums to at most 1).  Constituents outside the window and zero-pT padding add
    nothing.  No rotation or reflection: the jet axis is the only alignment.
    """
    c = np.asarray(constituents, dtype=np.float64)
    if c.ndim != 3 or c.shape[2] != 3:
        raise ValueError(f"constituents must have shape (n, k, 3); got {c.shape}")
    if pixels < 1 or not half_width > 0:
        raise ValueError(f"pixels must be 1 or more and half_width above 0; got {pixels}, {half_width}")
    pt, eta, phi = c[..., 0], c[..., 1], c[..., 2]
    total = pt.sum(axis=1, keepdims=True)
    frac = np.divide(pt, total, out=np.zeros_like(pt), where=total > 0)
    i = np.floor((eta + half_width) / (2 * half_width) * pixels).astype(np.int64)
    j = np.floor((phi + half_width) / (2 * half_width) * pixels).astype(np.int64)
    inside = (pt > 0) & (i >= 0) & (i < pixels) & (j >= 0) & (j < pixels)
    jet = np.broadcast_to(np.arange(len(c))[:, None], pt.shape)
    images = np.zeros((len(c), pixels, pixels), dtype=np.float64)
    np.add.at(images, (jet[inside], i[inside], j[inside]), frac[inside])
    return images[..., None]
