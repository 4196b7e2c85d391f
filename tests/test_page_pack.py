"""The page pack (site_build.write_pack): every MkDocs process reads it one page at a time and
keeps whole only the split pages it renders; the others keep their front matter (their title)."""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import load_config
from mkdocs.structure.files import Files

from generator.dependencies import page_key
from generator.site_build import _PageSplitter, front_matter_only, read_pack, read_packed, write_pack

PAGES = [
    ("index.md", "# 首页\n\n欢迎。\n"),
    *[(f"records/XF-2024-{n:04d}.md", f"---\ntitle: 记录 {n}\n---\n\n<p>正文 {n}</p>\n" * (1 + n)) for n in range(8)],
    ("classes/C-01.md", "---\ntitle: 类案指引\n---\n\n# 指引\n\n步骤。\n"),
    ("ledgers/C-01.md", "---\nhide: [toc]\n---\n\n# 台账\n"),  # no title in the front matter: kept whole
]


def test_the_pack_reads_back_page_by_page_and_by_place(tmp_path: Path) -> None:
    pack = tmp_path / "pages.pack"
    write_pack(pack, PAGES)
    read = list(read_pack(pack))
    assert [(uri, text) for uri, text, _ in read] == PAGES
    offsets = [offset for _, _, offset in read]
    assert offsets == sorted(set(offsets))
    assert list(read_packed(pack, offsets[::-1])) == [text for _, text in PAGES][::-1]
    assert list(read_pack(None)) == []


def test_front_matter_only_keeps_the_title_and_nothing_after() -> None:
    assert front_matter_only("---\ntitle: 甲\n---\n\n正文\n") == "---\ntitle: 甲\n---\n"
    assert front_matter_only("---\nhide: [toc]\n---\n\n# 乙\n") == "---\nhide: [toc]\n---\n\n# 乙\n"
    assert front_matter_only("# 丙\n\n---\ntitle: 不是\n---\n") == "# 丙\n\n---\ntitle: 不是\n---\n"


def _splitter_files(tmp_path: Path, part: int, parts: int) -> tuple[_PageSplitter, dict[str, str]]:
    pack = tmp_path / "pages.pack"
    write_pack(pack, PAGES)
    (tmp_path / "docs").mkdir(exist_ok=True)
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text("site_name: t\n", encoding="utf-8")
    with open(config_file, "rb") as stream:
        config = load_config(config_file=stream, docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"))
    splitter = _PageSplitter(part, parts, pack, site_key="site")
    config.plugins["casebook-pages"] = splitter
    files = config.plugins.on_files(Files([]), config=config)  # as MkDocs runs the event
    return splitter, {f.src_uri: f.content_string for f in files}


def test_each_process_keeps_whole_only_the_split_pages_it_renders(tmp_path: Path) -> None:
    whole = dict(PAGES)
    alone, contents = _splitter_files(tmp_path, 0, 1)
    assert contents == whole  # one process renders everything
    owners = []
    for part in (0, 1):
        splitter, contents = _splitter_files(tmp_path, part, 2)
        assert splitter.keys == alone.keys  # keys of the whole texts, in every process
        owners.append(splitter.owner)
        own = {uri for uri, owner in splitter.owner.items() if owner == part}
        for uri, text in contents.items():
            if uri in own or uri in ("index.md", "ledgers/C-01.md"):
                assert text == whole[uri], uri
            else:
                assert text == front_matter_only(whole[uri]) != whole[uri], uri
                assert splitter.keys[uri][1] == page_key("site", uri, whole[uri].encode("utf-8"), None)
        assert 2 <= len([u for u in own if u.startswith("records/")]) <= 6  # shared out
    assert owners[0] == owners[1]  # every process computes the same shares
