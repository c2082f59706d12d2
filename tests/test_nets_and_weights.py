import pickle
from pathlib import Path

import pytest
import torch

from zdce_core import nets
from zdce_core.model_store import (
    ModelSource,
    NoDefaultModelError,
    list_models,
    open_model,
    resolve_model,
)
from zdce_core.weights import (
    WeightsError,
    clean_module_,
    load_model,
    read_metadata,
    save_model,
    zero_subnormals_,
)

SUBNORMAL = 1e-40  # below float32's smallest normal (1.18e-38)


@pytest.mark.parametrize(
    ("arch", "params", "channels"), [("dcenet", 79_416, 24), ("dcenet++", 10_561, 3)]
)
def test_architectures(arch, params, channels):
    net = nets.build(arch)
    assert sum(p.numel() for p in net.parameters()) == params
    out = net(torch.rand(2, 3, 20, 30))
    assert out.shape == (2, channels, 20, 30)
    assert float(out.detach().abs().max()) <= 1.0


@pytest.mark.parametrize("arch", ["dcenet", "dcenet++"])
def test_inference_forward_equals_the_training_forward(arch):
    torch.manual_seed(1)
    net = nets.build(arch).eval().to(memory_format=torch.channels_last)
    x = torch.rand(2, 3, 37, 53).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        fast = nets.infer(net, x)
        assert torch.allclose(fast, net(x), atol=1e-6)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture"):
        nets.build("unet")


def reference_state(arch: str, prefix: str = "") -> dict[str, torch.Tensor]:
    """A state dict with the reference code's key names, some weights subnormal."""
    torch.manual_seed(3)
    state = {prefix + k: v.clone() for k, v in nets.build(arch).state_dict().items()}
    first = next(iter(state))
    state[first].view(-1)[:5] = SUBNORMAL
    return state


def no_subnormals(net: torch.nn.Module) -> bool:
    tiny = torch.finfo(torch.float32).tiny
    return all(not bool(((t != 0) & (t.abs() < tiny)).any()) for t in net.state_dict().values())


@pytest.mark.parametrize("arch", ["dcenet", "dcenet++"])
@pytest.mark.parametrize("prefix", ["", "module."])
def test_reference_checkpoint_loads_and_is_cleaned(tmp_path, arch, prefix):
    path = tmp_path / "Epoch99.pth"
    torch.save(reference_state(arch, prefix), path)
    loaded = load_model(path)
    assert loaded.arch == arch
    assert no_subnormals(loaded.net)
    expected = reference_state(arch)
    got = loaded.net.state_dict()
    for k, v in expected.items():
        torch.testing.assert_close(got[k], torch.where(v.abs() < 1e-38, 0.0, v))


def test_checkpoint_wrapped_in_a_dict_loads(tmp_path):
    path = tmp_path / "ckpt.pth"
    torch.save({"state_dict": reference_state("dcenet"), "epoch": 3}, path)
    assert load_model(path).arch == "dcenet"


class Evil:
    """Unpickling this creates the file ``marker``: proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_that_wants_to_run_code_is_refused(tmp_path, recwarn):
    path, marker = tmp_path / "evil.pth", tmp_path / "ran"
    with open(path, "wb") as f:
        pickle.dump({"e_conv1.weight": Evil(marker)}, f)
    with pytest.raises(WeightsError, match=r"evil\.pth.*refused") as refused:
        load_model(path)
    message = str(refused.value)
    assert len(message) - len(str(path)) < 200 and "weights_only" not in message
    assert not marker.exists()
    assert not recwarn.list  # torch's pickle-protocol warning does not reach the user


def test_truncated_checkpoint_is_refused(tmp_path):
    path = tmp_path / "cut.pth"
    torch.save(reference_state("dcenet"), path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(WeightsError, match=r"cut\.pth"):
        load_model(path)


def test_truncated_safetensors_is_refused(tmp_path, model_file):
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(model_file.read_bytes()[:20000])
    with pytest.raises(WeightsError, match=r"cut\.safetensors"):
        load_model(cut)


def test_wrong_shapes_are_refused(tmp_path):
    state = reference_state("dcenet")
    state["e_conv7.weight"] = torch.zeros(12, 64, 3, 3)
    path = tmp_path / "odd.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError, match=r"e_conv7\.weight has shape"):
        load_model(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.index_fill_(0, torch.tensor([0]), float("nan")), "1 NaN or infinite"),
        (lambda t: t.fill_(float("inf")), "32 NaN or infinite"),
        (lambda t: t.long(), "torch.int64 values, not floating point"),
    ],
)
def test_weights_that_would_break_every_photo_are_refused(tmp_path, change, message):
    state = reference_state("dcenet")
    state["e_conv1.bias"] = change(state["e_conv1.bias"].clone())
    path = tmp_path / "broken.pth"
    torch.save(state, path)
    with pytest.raises(WeightsError, match=rf"broken\.pth: e_conv1\.bias holds {message}"):
        load_model(path)


def test_weights_scaled_far_too_large_are_refused(tmp_path):
    torch.save({k: v * 1e6 for k, v in reference_state("dcenet").items()}, tmp_path / "huge.pth")
    with pytest.raises(WeightsError, match=r"huge\.pth: its curves are at their limit"):
        load_model(tmp_path / "huge.pth")


def test_foreign_state_dict_is_refused(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(WeightsError, match="not a DCE-Net"):
        load_model(path)


def test_safetensors_round_trip_keeps_metadata(tmp_path):
    net = nets.build("dcenet++")
    path = save_model(net, tmp_path / "m.safetensors", {"epochs": 3, "data": "here"})
    meta = read_metadata(path)
    assert meta["arch"] == "dcenet++" and meta["epochs"] == "3" and meta["data"] == "here"
    loaded = load_model(path)
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.net.state_dict()[k], v)
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_save_zeroes_subnormals(tmp_path):
    net = nets.build("dcenet")
    with torch.no_grad():
        net.e_conv3.weight.view(-1)[:10] = SUBNORMAL
    loaded = load_model(save_model(net, tmp_path / "m.safetensors"))
    assert no_subnormals(loaded.net)


def test_zero_subnormals_counts():
    t = torch.tensor([SUBNORMAL, -SUBNORMAL, 1e-3, 0.0])
    assert zero_subnormals_([t]) == 2
    assert t.tolist()[:2] == [0.0, 0.0] and t[2] > 0
    net = nets.build("dcenet")
    with torch.no_grad():
        net.e_conv1.bias[:] = SUBNORMAL
    assert clean_module_(net) == 32


def test_missing_default_model_says_how_to_pass_one(monkeypatch, tmp_path):
    monkeypatch.setattr("zdce_core.model_store.bundled_models_dir", lambda: tmp_path / "none")
    with pytest.raises(NoDefaultModelError, match="--model"):
        resolve_model(None)


def test_user_models_are_listed_and_resolved_by_name(user_home: Path):
    path = save_model(nets.build("dcenet"), user_home / "models" / "night.safetensors")
    names = {(e.name, e.source) for e in list_models()}
    assert ("night", ModelSource.USER) in names
    assert resolve_model("night") == path
    assert open_model("night").arch == "dcenet"
    with pytest.raises(WeightsError, match="no such model"):
        resolve_model("nope")


def test_rename_and_delete_user_models(user_home):
    from zdce_core.model_store import delete_model, rename_model

    save_model(nets.build("dcenet"), user_home / "models" / "a.safetensors")
    save_model(nets.build("dcenet"), user_home / "models" / "b.safetensors")
    with pytest.raises(ValueError, match="exists already"):
        rename_model("a", "b")
    with pytest.raises(ValueError, match="not a usable"):
        rename_model("a", "../x")
    assert rename_model("a", "night") == user_home / "models" / "night.safetensors"
    delete_model("b")
    assert [e.name for e in list_models() if e.source is ModelSource.USER] == ["night"]
    with pytest.raises(WeightsError, match="no such user model"):
        delete_model("b")


def test_import_checks_the_model_and_never_replaces_one(user_home, tmp_path):
    from zdce_core.errors import ModelFileError, UserFacingError
    from zdce_core.model_store import export_model, import_model

    good = save_model(nets.build("dcenet"), tmp_path / "night.safetensors")
    target = import_model(good)
    assert target == user_home / "models" / "night.safetensors" and target.is_file()
    other = save_model(nets.build("dcenet++"), tmp_path / "again" / "night.safetensors")
    with pytest.raises(ModelFileError, match="exists already"):
        import_model(other)
    assert read_metadata(target)["arch"] == "dcenet"  # the first one is kept
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    with pytest.raises(WeightsError):
        import_model(tmp_path / "junk.safetensors")
    assert not (user_home / "models" / "junk.safetensors").exists()
    entry = next(e for e in list_models() if e.source is ModelSource.USER)
    exported = export_model(entry, tmp_path / "copy")
    assert exported.name == "copy.safetensors" and exported.read_bytes() == target.read_bytes()
    with pytest.raises(UserFacingError, match="cannot write"):
        export_model(entry, tmp_path / "no such folder" / "x.safetensors")
