"""Each loss against a direct, loop-based implementation of its formula, plus gradcheck."""

import pytest
import torch

from zdce_core.losses import (
    LossWeights,
    ZeroReferenceLoss,
    color_constancy_loss,
    exposure_loss,
    illumination_smoothness_loss,
    spatial_consistency_loss,
)


def images(dtype=torch.float32, b=2, h=16, w=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, h, w, generator=g, dtype=dtype)


def direct_spatial(enh, org):
    def pooled(img):
        gray = img.mean(1)
        b, h, w = gray.shape
        return gray.reshape(b, h // 4, 4, w // 4, 4).mean((2, 4))

    po, pe = pooled(org), pooled(enh)
    b, h, w = po.shape
    total = 0.0
    for n in range(b):
        for i in range(h):
            for j in range(w):
                for di, dj in ((0, -1), (0, 1), (-1, 0), (1, 0)):
                    ii, jj = i + di, j + dj
                    inside = 0 <= ii < h and 0 <= jj < w
                    d_org = po[n, i, j] - (po[n, ii, jj] if inside else 0.0)
                    d_enh = pe[n, i, j] - (pe[n, ii, jj] if inside else 0.0)
                    total += float(d_org - d_enh) ** 2
    return total / (b * h * w)


def direct_exposure(enh, e, patch=16):
    gray = enh.mean(1)
    b, h, w = gray.shape
    vals = [
        (float(gray[n, i : i + patch, j : j + patch].mean()) - e) ** 2
        for n in range(b)
        for i in range(0, h - patch + 1, patch)
        for j in range(0, w - patch + 1, patch)
    ]
    return sum(vals) / len(vals)


def direct_color(enh):
    out = []
    for img in enh:
        r, g, b = (float(img[c].mean()) for c in range(3))
        out.append(((r - g) ** 4 + (r - b) ** 4 + (g - b) ** 4) ** 0.5)
    return sum(out) / len(out)


def direct_tv(a):
    b, c, h, w = a.shape
    cells = [(n, k) for n in range(b) for k in range(c)]
    dy = sum(
        float(a[n, k, i + 1, j] - a[n, k, i, j]) ** 2
        for n, k in cells
        for i in range(h - 1)
        for j in range(w)
    )
    dx = sum(
        float(a[n, k, i, j + 1] - a[n, k, i, j]) ** 2
        for n, k in cells
        for i in range(h)
        for j in range(w - 1)
    )
    return 2 * (dy / ((h - 1) * w) + dx / (h * (w - 1))) / b


def test_spatial_consistency_matches_formula():
    org, enh = images(seed=1), images(seed=2)
    assert float(spatial_consistency_loss(enh, org)) == pytest.approx(
        direct_spatial(enh, org), rel=1e-4
    )
    assert float(spatial_consistency_loss(org, org)) == 0.0


@pytest.mark.parametrize("target", [0.6, 0.4])
def test_exposure_matches_formula(target):
    enh = images(h=32, w=48)
    assert float(exposure_loss(enh, target)) == pytest.approx(
        direct_exposure(enh, target), rel=1e-5
    )


def test_color_constancy_matches_formula():
    enh = images()
    assert float(color_constancy_loss(enh)) == pytest.approx(direct_color(enh), rel=1e-3, abs=1e-4)
    gray = images()[:, :1].repeat(1, 3, 1, 1)
    assert float(color_constancy_loss(gray)) < 1e-3


def test_illumination_smoothness_matches_formula():
    maps = images(b=2, h=5, w=7) * 2 - 1
    assert float(illumination_smoothness_loss(maps)) == pytest.approx(direct_tv(maps), rel=1e-5)
    flat = torch.full((1, 24, 8, 8), 0.3)
    assert float(illumination_smoothness_loss(flat)) == 0.0


def test_gradcheck_in_float64():
    org = images(torch.float64, b=1, h=16, w=16, seed=3).requires_grad_()
    enh = images(torch.float64, b=1, h=16, w=16, seed=4).requires_grad_()
    maps = (images(torch.float64, b=1, h=6, w=6, seed=5) * 2 - 1).requires_grad_()
    assert torch.autograd.gradcheck(spatial_consistency_loss, (enh, org))
    assert torch.autograd.gradcheck(lambda x: exposure_loss(x, 0.6), (enh,))
    assert torch.autograd.gradcheck(color_constancy_loss, (enh,))
    assert torch.autograd.gradcheck(illumination_smoothness_loss, (maps,))


def test_weighted_total_and_reference_weights():
    assert LossWeights.for_arch("dcenet").tv == 200 and LossWeights.for_arch("dcenet++").tv == 1600
    org, enh = images(seed=1), images(seed=2)
    maps = images(seed=3) * 2 - 1
    total, parts = ZeroReferenceLoss(LossWeights(spa=1, exp=10, col=5, tv=200))(org, enh, maps)
    expected = (
        spatial_consistency_loss(enh, org)
        + 10 * exposure_loss(enh)
        + 5 * color_constancy_loss(enh)
        + 200 * illumination_smoothness_loss(maps)
    )
    torch.testing.assert_close(total, expected)
    assert parts.total == pytest.approx(parts.spa + parts.exp + parts.col + parts.tv, rel=1e-5)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="exposure target"):
        ZeroReferenceLoss(exposure_target=1.5)
    with pytest.raises(ValueError, match="loss weight tv"):
        LossWeights(tv=-1)


def test_module_wrappers_match_the_functions():
    from zdce_core.losses import (
        ColorConstancyLoss,
        ExposureLoss,
        IlluminationSmoothnessLoss,
        SpatialConsistencyLoss,
    )

    org, enh = images(seed=1), images(seed=2)
    assert torch.equal(SpatialConsistencyLoss()(enh, org), spatial_consistency_loss(enh, org))
    assert torch.equal(ExposureLoss(0.5, 8)(enh), exposure_loss(enh, 0.5, 8))
    assert torch.equal(ColorConstancyLoss()(enh), color_constancy_loss(enh))
    assert torch.equal(IlluminationSmoothnessLoss()(org), illumination_smoothness_loss(org))
    with pytest.raises(ValueError, match="patch"):
        ExposureLoss(patch=0)
