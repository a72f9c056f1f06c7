"""``extends:`` in the service configuration: built-in presets and files, merged in order
(mappings by key, lists replaced), cycles and depth refused with file:line:col, and
``dockmend config check``'s table of where each value came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import DockmendError
from bot.settings import presets
from bot.settings.config import load

LOCAL = "platforms: {here: {type: local, path: .}}\n"


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / next(iter(files))


def test_merge_order_file_over_presets_in_order(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        {
            "dockmend.yaml": "extends: [dockmend:minimal, presets/a.yml, presets/b.yml]\n"
            "images: {pin_digests: true}\n" + LOCAL,
            "presets/a.yml": "images: {pin: patch, update_types: [digest, patch, minor]}\nfixers: {ignore: [DM103]}\n",
            "presets/b.yml": "images: {update_types: [digest]}\n",
        },
    )
    cfg = load(main)
    assert cfg.select == ("DM104", "DM109", "DM110")  # dockmend:minimal
    assert cfg.ignore == ("DM103",)
    # a.yml's pin stays (b.yml does not set it); b.yml's list replaces a.yml's whole; the file adds its key
    assert (cfg.images.pin, cfg.images.pin_digests, cfg.images.update_types) == ("patch", True, frozenset({"digest"}))
    assert cfg.provenance["images.update_types"] == str(tmp_path / "presets/b.yml")
    assert cfg.provenance["images.pin"] == str(tmp_path / "presets/a.yml")
    assert cfg.provenance["fixers.select"] == "dockmend:minimal"
    assert cfg.provenance["images.pin_digests"] == str(main)


def test_the_file_wins_over_its_presets_and_later_presets_over_earlier(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        {
            "c.yaml": "extends: [dockmend:minimal, x.yml]\nfixers: {select: [DM105]}\n" + LOCAL,
            "x.yml": "extends: dockmend:openshift\nfixers: {select: [DM106]}\nlabels: {profile: oci}\n",
        },
    )
    cfg = load(main)
    assert cfg.select == ("DM105",)
    assert cfg.label_policy.profile == "oci"  # x.yml over the openshift preset it extends
    assert cfg.provenance["labels.profile"] == str(tmp_path / "x.yml")


def test_a_mapping_replaced_by_a_list_forgets_its_parts() -> None:
    provenance: dict[presets.Loc, str] = {}
    merged = presets.merge({}, {"a": {"b": 1, "c": 2}}, "one", provenance)
    presets.merge(merged, {"a": [3]}, "two", provenance)
    assert merged == {"a": [3]}
    assert provenance == {("a",): "two"}


def test_unknown_builtin_preset_names_its_place(tmp_path: Path) -> None:
    main = write(tmp_path, {"c.yaml": LOCAL + "extends:\n  - dockmend:recommended\n  - dockmend:strict\n"})
    with pytest.raises(DockmendError) as exc:
        load(main)
    assert str(exc.value) == (
        f"{main}:4:5: extends: unknown preset 'dockmend:strict' "
        "(built-in: dockmend:recommended, dockmend:minimal, dockmend:openshift)"
    )


def test_a_cycle_is_refused_where_it_closes(tmp_path: Path) -> None:
    files = {"c.yaml": "extends: [a.yml]\n", "a.yml": "extends: [b.yml]\n", "b.yml": "extends: [a.yml]\n"}
    main = write(tmp_path, files)
    with pytest.raises(DockmendError) as exc:
        load(main)
    a, b = tmp_path / "a.yml", tmp_path / "b.yml"
    assert str(exc.value) == f"{b}:1:11: extends: a cycle of presets: {a} -> {b} -> {a}"


def test_a_file_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    main = write(tmp_path, {"c.yaml": "extends: c.yaml\n"})
    with pytest.raises(DockmendError, match="a cycle of presets"):
        load(main)


def test_depth_is_limited(tmp_path: Path) -> None:
    depth = presets.MAX_DEPTH
    files = {"c.yaml": "extends: p0.yml\n"}
    files |= {f"p{n}.yml": f"extends: p{n + 1}.yml\n" for n in range(depth)}
    files[f"p{depth}.yml"] = "fixers: {select: [DM104]}\n"
    with pytest.raises(DockmendError, match=f"nested more than {presets.MAX_DEPTH} deep"):
        load(write(tmp_path, files))
    del files[f"p{depth - 1}.yml"]
    files[f"p{depth - 1}.yml"] = "fixers: {select: [DM104]}\n"
    assert load(write(tmp_path, files)).select == ("DM104",)


def test_a_bad_value_in_a_preset_is_reported_in_the_preset(tmp_path: Path) -> None:
    main = write(tmp_path, {"c.yaml": "extends: [p.yml]\n" + LOCAL, "p.yml": "\nimages:\n  pin: fine\n"})
    with pytest.raises(DockmendError) as exc:
        load(main)
    assert str(exc.value) == f"{tmp_path / 'p.yml'}:3:3: images.pin: expected 'major', 'minor' or 'patch'"


def test_a_missing_preset_file(tmp_path: Path) -> None:
    main = write(tmp_path, {"c.yaml": "extends: [nowhere.yml]\n"})
    with pytest.raises(DockmendError, match=r"nowhere\.yml: cannot read the configuration"):
        load(main)


def test_extends_must_name_presets(tmp_path: Path) -> None:
    with pytest.raises(DockmendError, match=r"c.yaml:1:1: extends: expected a preset name or file"):
        load(write(tmp_path, {"c.yaml": "extends: {a: 1}\n"}))


def test_config_check_shows_where_each_value_came_from(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        {"c.yaml": "extends: [dockmend:openshift, team.yml]\n" + LOCAL, "team.yml": "fixers: {ignore: [DM106]}\n"},
    )
    result = CliRunner().invoke(app, ["config", "check", str(main)])
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("# where each value came from") :].splitlines()
    assert table == [
        "# where each value came from (any key not listed: the built-in default)",
        "# key                  source",
        "# extends              c.yaml",
        "# fixers.ignore        team.yml",
        "# labels.profile       dockmend:openshift",
        "# platforms.here.path  c.yaml",
        "# platforms.here.type  c.yaml",
    ]
    assert "  profile: openshift\n" in result.output  # the effective value, merged
