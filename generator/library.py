"""A library folder → typed documents plus every problem met on the way.

Layout: `settings.yaml`, `records/`, `typical/`, `classes/` (sub-folders
allowed). Each file is read defensively — too large, binary, not UTF-8,
empty, unreadable, a folder named like a file, a symlink loop — and each
such fault becomes one Problem while the other files are still read.
Contract errors from pydantic are mapped back to line and column here.

A symlink (file or folder) whose real path leaves the library folder is
refused and its target never opened: its lines would otherwise come back
as "unknown field" messages, and a library is often shared or handed to a
build server, where a link to /etc/passwd or a colleague's home must not
turn into output.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .contract import FROM_JSON, KINDS, CaseClass, CaseRecord, Indicator, Settings, TypicalEntry
from .derive.facts import FactsStore, LazyRecord, facts_context
from .errors import LibraryUnreadable, Problem
from .file_digests import FileDigests
from .keyed_lines import encode
from .load import LoadedYaml, format_path, parse_yaml
from .parallel import Background
from .parse_cache import LazyPositions, ParseCache, collector_paused, is_plain
from .progress import NO_BAR, Bar
from .validate_memo import ValidateMemo, memo_key

M = TypeVar("M", bound=BaseModel)
# What read_share gives back of a clean file: its parse-cache key, its data as JSON, its own problems.
Shared = tuple[str, bytes, list[list[Any]] | None]

MAX_FILE_BYTES = 2 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
FOLDERS = {"records": "record", "typical": "typical", "classes": "class"}
SETTINGS_FILE = "settings.yaml"


@dataclass(frozen=True)
class Document(Generic[M]):
    """One validated file: its model and where each of its values was written."""

    path: str
    model: M
    source: LoadedYaml | LazyPositions  # a file from the parse cache is parsed again only for a message
    # ParseCache.key of the file (its path, kind and text, the generator's code): the model and
    # every position follow from these, so it names the document in memos. "" when not known.
    key: str = ""

    def problem(self, loc: tuple[str | int, ...], message: str, *, key: bool = False) -> Problem:
        span = self.source.span(loc, key=key)
        return Problem(self.path, span.line, span.column, format_path(loc), message)


@dataclass
class Library:
    """Everything read from one library folder."""

    root: Path
    settings: Document[Settings] | None = None
    records: list[Document[CaseRecord]] = field(default_factory=list)
    typical: list[Document[TypicalEntry]] = field(default_factory=list)
    classes: list[Document[CaseClass]] = field(default_factory=list)
    # Ids (file names) of files that failed to load: their own problems are
    # reported, so references to them must not cascade into "not found".
    unreadable_ids: set[str] = field(default_factory=set)


def read_library(
    root: Path,
    cache: ParseCache | None = None,
    bar: Bar = NO_BAR,
    as_of: dt.date | None = None,
    memo: ValidateMemo | None = None,
    digests: FileDigests | None = None,
    facts: FactsStore | None = None,
) -> tuple[Library, list[Problem]]:
    """Read every YAML file of the library; never raise for a bad file.

    With a `cache` (parse_cache.py), a file whose text was parsed cleanly
    before is only validated against its contract again; with the build's
    `digests` too, a file they know unchanged is not even read (its text is
    read only if a message needs a position). `bar` counts the files.

    A large library is read by two processes (read_share): the second one reads
    a share of the files not in the cache, and with `as_of` and `memo` also runs each
    one's own checks (validate.check_document) and offers their problems to `memo`,
    where validate finds them as it finds those of an earlier build.

    With `facts` and `as_of`, a record from the cache whose facts an earlier build kept for
    the same file, settings and date is read as a LazyRecord (derive/facts.py): no model."""
    if not root.exists():
        raise LibraryUnreadable(f"案例库不存在：{root}")
    if not root.is_dir():
        raise LibraryUnreadable(f"案例库应是一个文件夹：{root}")
    if not os.path.lexists(root / SETTINGS_FILE):  # a link leading out is reported by read_text, not followed
        raise LibraryUnreadable(f"{root} 不是案例库：缺少 {SETTINGS_FILE}")
    library = Library(root=root)
    problems: list[Problem] = []
    files = list(discover(root, problems))
    bar.count(len(files), "个文件已读取")
    cache = cache if cache is not None else ParseCache(None)
    reader = FileReader(root)
    read: list[tuple[str, str, Document[Any] | None, list[Problem], str | None]] = []
    missed: list[tuple[int, str]] = []
    lazy = _LazyRecords(facts, as_of)
    for relative, kind in files:
        own: list[Problem] = []
        known = reader.known(relative, kind, digests, cache, lazy) if digests is not None else None
        if known is not None:
            read.append((relative, kind, known, own, known.key))
            lazy.read(kind, known)
            bar.advance()
            continue
        text = reader.read(relative, own)
        key = ParseCache.key(relative, kind, text) if text is not None else None
        data = cache.get(key) if key is not None else None
        document = None
        if data is not None and text is not None and key is not None:
            document = cached_document(relative, kind, text, data, key, lazy)
            lazy.read(kind, document)
        if document is None and text is not None:
            missed.append((len(read), text))
        else:
            bar.advance()  # unreadable, or known from the cache: done
        read.append((relative, kind, document, own, key))
    share = [i for n, (i, _) in enumerate(missed) if n % 20 < HELPER_SHARE_IN_20]
    helper = Background.start(
        read_share, root, [read[i][:2] for i in share], as_of, wanted=len(missed) >= PARALLEL_FROM
    )
    with helper:  # left by an exception: the second process is stopped, not waited for
        theirs = set(share) if helper.in_background else set()
        parsed: dict[int, bytes | None] = {}  # read[i] → its data as the cache keeps it, once the file is known clean
        for i, text in missed:
            if i in theirs:
                continue
            relative, kind, _, own, key = read[i]
            document, parsed[i] = _read_here(root, relative, kind, own, text, key or "", cache)
            read[i] = (relative, kind, document, own, key)
            bar.advance()
        shared, inputs_digest = helper.result() if helper.in_background else ({}, "")
    for i, text in missed:
        if i not in theirs:
            continue
        relative, kind, _, own, key = read[i]
        found = shared.get(relative)
        document = None
        if found is not None and found[0] == key:  # the text the helper read is the one read here
            document = cached_document(relative, kind, text, found[1], found[0])
        if document is None:  # a file with a problem (or changed meanwhile): read here, for the messages
            document, parsed[i] = _read_here(root, relative, kind, own, text, key or "", cache)
        else:
            parsed[i] = found[1] if cache.path is not None else None
            if memo is not None and found[2] is not None:
                memo.offer(memo_key(found[0], inputs_digest), relative, found[2])
        read[i] = (relative, kind, document, own, key)
        bar.advance()
    for number, (relative, kind, document, own, key) in enumerate(read):
        problems.extend(own)
        if document is None:
            library.unreadable_ids.add(Path(relative).stem)
            continue
        if key is not None and number in parsed:
            cache.keep(key, parsed.pop(number))
        if kind == "settings":
            library.settings = document
        elif kind == "record":
            library.records.append(document)
        elif kind == "typical":
            library.typical.append(document)
        else:
            library.classes.append(document)
    return library, problems


def _read_here(
    root: Path, relative: str, kind: str, own: list[Problem], text: str, key: str, cache: ParseCache
) -> tuple[Document[Any] | None, bytes | None]:
    """read_document in this process; the document and its data as `cache` would keep it."""
    document = read_document(root, relative, kind, own, text=text, key=key)
    if document is None or not isinstance(document.source, LoadedYaml):
        return document, None
    # The positions of every value are most of a parsed file's memory (8.7 GB at
    # 100,000 records) and only a message needs one: the file is held from here on
    # as a cached one is, by its text, parsed again when a message asks.
    return replace(document, source=LazyPositions(text)), cache.encoded(document.source.data)


class _LazyRecords:
    """Which records of a library being read become LazyRecords: those whose facts were kept
    under this build's settings file (the first file read; a changed one is parsed later,
    and then no record is lazy) and date."""

    def __init__(self, facts: FactsStore | None, as_of: dt.date | None) -> None:
        self.facts, self.as_of = facts, as_of
        self.context: str | None = None

    def read(self, kind: str, document: Document[Any] | None) -> None:
        if kind == "settings" and document is not None and document.key and self.as_of is not None:
            self.context = facts_context(document.key, self.as_of)

    def model(self, kind: str, key: str, data: bytes | Callable[[], bytes]) -> Any:
        """A LazyRecord, or None when the model must be made."""
        if kind != "record" or self.facts is None or self.context is None:
            return None
        found = self.facts.get(FactsStore.key(self.context, key))
        return LazyRecord(found, data) if found is not None else None


def cached_document(
    relative: str,
    kind: str,
    text: str | Callable[[], str],
    data: bytes | Callable[[], bytes],
    key: str,
    lazy: _LazyRecords | None = None,
) -> Document[Any] | None:
    """A file parsed cleanly before, from the JSON text of its data; None sends it back to the parser.

    pydantic reads the JSON text itself (0.4 s less at 10,000 records than decoding it to
    Python objects first); the data holds only strings, booleans, None, lists and maps,
    which it converts (to int, float, date) the same way from either, so the model is
    equal to the one read_document makes from the parsed file (tests/test_validate_incremental.py)."""
    model = lazy.model(kind, key, data) if lazy is not None else None
    if model is None:
        try:
            model = KINDS[kind].model_validate_json(data() if callable(data) else data, context=FROM_JSON)
        except ValidationError:
            return None
    return Document(relative, model, LazyPositions(text), key)


def discover(root: Path, problems: list[Problem]) -> Iterator[tuple[str, str]]:
    """Yield `(relative path, kind)` of each data file in a stable order.

    A linked folder is reported when it leaves the library; inside it, it is
    followed only into a hidden folder, which the walk does not reach otherwise
    (any other folder is read where it is). Each real folder is read once, so a
    link back up (a loop) or to a folder already read adds nothing."""
    yield SETTINGS_FILE, "settings"
    seen = {_identity(root)}
    for dirpath, dirnames, filenames in os.walk(root, onerror=_walk_error(root, problems), followlinks=True):
        here = Path(dirpath)
        dirnames.sort()
        for name in list(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
            elif (message := _name_or_link_problem(root, here / name)) is not None:
                dirnames.remove(name)
                problems.append(Problem(printable(_relative(root, here / name)), 0, 0, "", message))
            elif _walked_anyway(root, here / name) or (identity := _identity(here / name)) in seen:
                dirnames.remove(name)
            elif name.endswith(YAML_SUFFIXES):
                dirnames.remove(name)
                problems.append(Problem(_relative(root, here / name), 0, 0, "", "这是文件夹而不是 YAML 文件，已跳过"))
            elif identity is not None:
                seen.add(identity)
        folder = _relative(root, here)
        prefix = "" if folder == "." else f"{folder}/"  # a path object per file cost 0.3 s at 10,000
        for name in sorted(filenames):
            if not name.endswith(YAML_SUFFIXES) or name.startswith("."):
                continue
            relative = prefix + name
            if relative == SETTINGS_FILE:
                continue
            if not _is_utf8(name):
                problems.append(Problem(printable(relative), 0, 0, "", BAD_NAME))
                continue
            top = relative.split("/", 1)[0]
            if top in FOLDERS and "/" in relative:
                yield relative, FOLDERS[top]
            else:
                problems.append(
                    Problem(
                        relative,
                        0,
                        0,
                        "",
                        "不在 records/、typical/、classes/ 中，未读取（请移到对应文件夹）",
                    )
                )


BAD_NAME = "文件名不是 UTF-8 编码，未读取；请重命名"


def _identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder inside the library (links already checked), None if it cannot be read:
    os.walk then reports it."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _walked_anyway(root: Path, folder: Path) -> bool:
    """A folder link whose target the walk reaches under its own path (not in a hidden folder).

    Such a link is not followed: the folder is read once, where it really is, whatever
    the names sort like (a link `latest -> records/2024` must not claim records/2024
    and leave its records reported under the wrong path)."""
    if not os.path.islink(folder):
        return False
    target = os.path.relpath(os.path.realpath(folder), os.path.realpath(root))
    return target == "." or not any(part.startswith(".") for part in Path(target).parts)


def _name_or_link_problem(root: Path, folder: Path) -> str | None:
    """Why a sub-folder is not walked: a name that cannot be printed, or a link out of the library."""
    if not _is_utf8(folder.name):
        return BAD_NAME.replace("文件名", "文件夹名")
    target = link_outside(root, _relative(root, folder))
    return None if target is None else outside_message(target)


def link_outside(root: Path, relative: str) -> str | None:
    """The real path `root/relative` leads to when a symlink on the way leaves `root`, else None.

    Only links are resolved (readlink and lstat of each step): the target is
    never opened or stat'ed, so neither its content nor whether it exists can
    reach a message. A loop resolves to somewhere inside and is reported by
    the reader as before. os.path.realpath costs about 70 µs a path, so it
    runs only when a step below `root` is a link (one lstat per step)."""
    probe = os.fspath(root)
    for step in relative.split("/"):
        probe = os.path.join(probe, step)
        if step == ".." or os.path.islink(probe):
            break
    else:
        return None
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root, relative))
    if target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return target


def outside_message(target: str) -> str:
    return f"符号链接指向案例库以外（{printable(target)}），未读取"


def _is_utf8(name: str) -> bool:
    """False for a name os.walk decoded with surrogateescape (bytes that are not UTF-8)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """A path for a message: bytes that are not UTF-8 shown as \\xff, since they cannot be printed."""
    if _is_utf8(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _walk_error(root: Path, problems: list[Problem]):
    def report(error: OSError) -> None:
        where = printable(_relative(root, Path(error.filename))) if error.filename else "."
        problems.append(Problem(where, 0, 0, "", f"无法读取文件夹：{error.strerror or error}"))

    return report


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(root: Path, relative: str, problems: list[Problem]) -> str | None:
    """The file's text, or None after recording why it cannot be used."""
    path = root / relative

    def fail(message: str) -> None:
        problems.append(Problem(relative, 0, 0, "", message))

    target = link_outside(root, relative)
    if target is not None:
        fail(outside_message(target))
        return None
    try:
        if path.is_symlink() and not path.exists():
            fail("符号链接指向不存在的文件或形成循环")
            return None
        if not path.is_file():
            fail("不是普通文件（可能是管道、设备或套接字），已跳过")
            return None
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            fail(f"文件过大（{size // 1024} KB，上限 {MAX_FILE_BYTES // 1024} KB），一份记录不应这么大")
            return None
        raw = path.read_bytes()
    except OSError as error:
        fail(f"无法读取：{error.strerror or error}")
        return None
    return decoded_text(relative, raw, problems)


# No link followed at the end (O_NOFOLLOW), and a pipe does not block the open (O_NONBLOCK); 0: not here.
_OPEN_NO_LINK = (
    os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_NONBLOCK")
    else 0
)


class FileReader:
    """read_text for every file of one library, the common case opened at once instead of after five look-ups.

    A regular file (not a link) in folders that are no links either, and not too large,
    is what read_text would read without a word; anything else goes to read_text, which
    says what it is. Each folder is checked for links once: at 10,000 files this saves
    about 0.5 s. Where the system cannot open without following a link, read_text reads all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self._plain_folders: dict[str, bool] = {}

    def known(
        self, relative: str, kind: str, digests: FileDigests, cache: ParseCache, lazy: _LazyRecords | None = None
    ) -> Document[Any] | None:
        """The document of a file this build's `digests` know unchanged, from `cache`, unread.

        Only a file `read` would open at once (a regular file, no link on the way, not too
        large) whose lstat is the stat its digest was found with: reading and hashing 100,000
        files took 5 s of a one-record rebuild. Its text is read if a message needs it."""
        folder, _, name = relative.rpartition("/")
        if not _OPEN_NO_LINK or name in ("", ".", "..") or not self._plain_folder(folder):
            return None
        path = os.path.join(self._root, relative)
        try:
            found = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_FILE_BYTES:
            return None
        file_digest = digests.unchanged(path, found)
        if file_digest is None:
            return None
        key = ParseCache.file_key(relative, kind, file_digest)
        data = cache.loader(key)
        if data is None:
            return None
        return cached_document(relative, kind, functools.partial(self.text, relative), data, key, lazy)

    def text(self, relative: str) -> str:
        """The file's text as `read` gives it ("" if it cannot be read now)."""
        return self.read(relative, []) or ""

    def read(self, relative: str, problems: list[Problem]) -> str | None:
        raw = self._plain_bytes(relative)
        if raw is None:
            return read_text(self.root, relative, problems)
        return decoded_text(relative, raw, problems)

    def _plain_bytes(self, relative: str) -> bytes | None:
        folder, _, name = relative.rpartition("/")
        if not _OPEN_NO_LINK or name in ("", ".", "..") or not self._plain_folder(folder):
            return None
        try:
            handle = os.open(os.path.join(self._root, relative), _OPEN_NO_LINK)
        except OSError:
            return None
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                return None
            with open(handle, "rb", closefd=False) as file:
                return file.read()
        except OSError:
            return None
        finally:
            os.close(handle)

    def _plain_folder(self, folder: str) -> bool:
        """Whether no step of `folder` (relative to the root, "" for the root) is a link or "..": known once."""
        known = self._plain_folders.get(folder)
        if known is None:
            probe, known = self._root, True
            for step in folder.split("/") if folder else []:
                probe = os.path.join(probe, step)
                if step in ("", ".", "..") or os.path.islink(probe):
                    known = False
                    break
            self._plain_folders[folder] = known
        return known


def decoded_text(relative: str, raw: bytes, problems: list[Problem]) -> str | None:
    """A file's bytes as text, or None after recording why they are not UTF-8 text."""

    def fail(message: str, line: int = 0, column: int = 0) -> None:
        problems.append(Problem(relative, line, column, "", message))

    if not raw.strip():
        fail("文件为空")
        return None
    wide = _wide_encoding(raw)
    if wide is not None:
        fail(f"文件是 {wide} 编码，请另存为 UTF-8")
        return None
    if b"\x00" in raw:
        fail("这是二进制文件，不是 YAML 文本")
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        hint = "（看起来是 GBK/GB18030 编码）" if _looks_like_gbk(raw) else ""
        fail(f"文件不是 UTF-8 编码{hint}，请另存为 UTF-8", line, column)
        return None


# YAML 1.2 §5.2: a stream's encoding shows in its BOM, or else in where the
# NUL bytes fall around its first (ASCII) character. Longest patterns first:
# a UTF-32 LE BOM begins with the UTF-16 LE one.
WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
)
WIDE_WITHOUT_BOM = (
    (re.compile(rb"\x00\x00\x00[^\x00]", re.S), "utf-32-be", "UTF-32"),
    (re.compile(rb"[^\x00]\x00\x00\x00", re.S), "utf-32-le", "UTF-32"),
    (re.compile(rb"\x00[^\x00]", re.S), "utf-16-be", "UTF-16"),
    (re.compile(rb"[^\x00]\x00", re.S), "utf-16-le", "UTF-16"),
)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _wide_encoding(raw: bytes) -> str | None:
    """The name of the wide encoding (UTF-16, UTF-32) the file is text in, else None:
    the user is told what to re-save it as instead of "binary"."""
    for bom, codec, name in WIDE_ENCODINGS:
        if raw.startswith(bom):
            return name if _decodes_as_text(raw[len(bom) :], codec) else None
    for pattern, codec, name in WIDE_WITHOUT_BOM:
        if pattern.match(raw):
            return name if _decodes_as_text(raw, codec) else None
    return None


def _decodes_as_text(raw: bytes, codec: str) -> bool:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return CONTROL.search(text) is None


def _looks_like_gbk(raw: bytes) -> bool:
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def read_document(
    root: Path,
    relative: str,
    kind: str,
    problems: list[Problem],
    text: str | None = None,
    key: str = "",
) -> Document[Any] | None:
    """Parse and check one file against its contract model (`text`: already read; `key`: Document.key).

    Returns the document, or None on any problem (added to `problems`)."""
    if text is None:
        text = read_text(root, relative, problems)
    if text is None:
        return None
    loaded, issues = parse_yaml(text)
    problems.extend(Problem(relative, i.line, i.column, i.field, i.message) for i in issues)
    if loaded is None or issues:
        return None
    return document_of(relative, kind, loaded, problems, key)


def document_of(
    relative: str, kind: str, loaded: LoadedYaml, problems: list[Problem], key: str = ""
) -> Document[Any] | None:
    """`loaded` checked against its contract model (read_document, once the text is parsed; the
    importer gives data it made itself, in the form parse_yaml gives). None on any problem."""
    model_type = KINDS[kind]
    try:
        model = model_type.model_validate(loaded.data)
    except ValidationError as error:
        problems.extend(contract_problems(relative, loaded, model_type, error))
        return None
    return Document(relative, model, loaded, key)


# From this many files not in the parse cache on, a second process reads a share of them
# (read_share): at 10,000 records the read went from about 11.6 to 10.5 s (medians of 3).
PARALLEL_FROM = 500
# How many of every 20 such files the second process reads: it also starts Python and imports
# the checks (about a second), and this one validates the models it gets back and runs the
# checks across files, so an even split left this one waiting.
HELPER_SHARE_IN_20 = 9


def read_share(root: Path, files: list[tuple[str, str]], as_of: dt.date | None) -> tuple[dict[str, Shared], str]:
    """Runs in the second process: each of `files` (relative path, kind) read, parsed and
    checked against its contract, and with `as_of` its own checks run (validate.check_document).

    Returns, for each clean file, its parse-cache key, its data as the parse cache keeps it
    and its own problems as ValidateMemo rows (None without `as_of`); and the digest of the
    checks' inputs, made from settings.yaml as read here. A file with any problem is left
    out: the caller reads it again, for the messages. What comes back is what an earlier
    build's caches would hold, and it is used the same way: a key that differs (the file
    or settings.yaml changed meanwhile) is a miss."""
    with collector_paused():  # as in the first process: a third of the time otherwise
        return _read_share(root, files, as_of)


def _read_share(root: Path, files: list[tuple[str, str]], as_of: dt.date | None) -> tuple[dict[str, Shared], str]:
    from .validate import Inputs, check_document  # validate imports this module

    inputs = None
    if as_of is not None:
        settings = read_document(root, SETTINGS_FILE, "settings", [])
        inputs = Inputs.of(Library(root=root, settings=settings), as_of)
    reader = FileReader(root)
    found: dict[str, Shared] = {}
    for relative, kind in files:
        own: list[Problem] = []
        text = reader.read(relative, own)
        if text is None or own:
            continue
        key = ParseCache.key(relative, kind, text)
        document = read_document(root, relative, kind, own, text=text, key=key)
        if document is None or own or not is_plain(document.source.data):
            continue
        rows = None
        if inputs is not None:
            checked = check_document(document, kind, inputs)
            if any(p.path != relative for p in checked):
                continue
            rows = [[p.line, p.column, p.field, p.message, p.severity] for p in checked]
        found[relative] = (key, encode(document.source.data), rows)
    return found, inputs.digest if inputs is not None else ""


def contract_problems(
    relative: str, loaded: LoadedYaml, model_type: type[BaseModel], error: ValidationError
) -> list[Problem]:
    """Turn pydantic's errors into located Chinese messages."""
    out = []
    for item in error.errors(include_url=False):
        loc = data_loc(loaded.data, item["loc"])
        kind = item["type"]
        if kind == "missing":
            span = loaded.span(loc[:-1])
        elif kind == "extra_forbidden":
            span = loaded.span(loc, key=True)
        else:
            span = loaded.span(loc)
        message = explain(item, model_type, loc)
        out.append(Problem(relative, span.line, span.column, format_path(loc), message))
    return out


def data_loc(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """pydantic's error location reduced to steps that exist in the data.

    pydantic inserts union member names (e.g. "list[str]") into locations;
    those are skipped. The last step is kept even when absent: it names a
    missing field.
    """
    steps: list[str | int] = []
    current = data
    for index, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif index == len(loc) - 1 and isinstance(part, str | int):
            steps.append(part)
            break
        else:
            continue
        steps.append(part)
    return tuple(steps)


MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表（每项以 - 开头）",
    "model_type": "应为键值对（字段: 值）",
    "dict_type": "应为键值对（字段: 值）",
    "model_attributes_type": "应为键值对（字段: 值）",
}


def explain(item: dict[str, Any], model_type: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A Chinese message for one pydantic error, with a suggestion where one helps."""
    kind = item["type"]
    context = item.get("ctx") or {}
    given = item.get("input")
    if kind in MESSAGES:
        text = MESSAGES[kind]
        if kind == "bool_type" and isinstance(given, str):
            text += f"（写的是 “{given}”）"
        return text
    if kind == "extra_forbidden" and loc:
        retired = RETIRED_KEYS.get(str(loc[-1]))
        if retired is not None and _model_at(model_type, loc[:-1]) is retired[0]:
            return f"字段 {loc[-1]} 已不再使用：{retired[1]}"
        allowed = _field_names_at(model_type, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"，是否应为 “{guess[0]}”？" if guess else f"；可用字段：{'、'.join(allowed)}"
        return f"未知字段{hint}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"应为日期，格式 YYYY-MM-DD（写的是 “{given}”）"
    if kind == "literal_error":
        expected = [option.strip(" '") for option in str(context.get("expected", "")).replace(" or ", ", ").split(",")]
        if given in RETIRED_VALUES and RETIRED_VALUES[given][0] in expected:
            return f"取值 “{given}” 已不再使用：{RETIRED_VALUES[given][1]}"
        guess = difflib.get_close_matches(str(given), expected, n=1, cutoff=0.3)
        hint = f"，是否应为 “{guess[0]}”？" if guess else ""
        return f"取值 “{given}” 无效；可选：{'、'.join(expected)}{hint}"
    if kind == "string_pattern_mismatch":
        return f"格式不符（写的是 “{given}”）：{_description_at(model_type, loc)}"
    if kind in ("too_short", "string_too_short"):
        return "不能为空"
    if kind in ("greater_than_equal", "greater_than"):
        return f"应不小于 {context.get('ge', context.get('gt'))}"
    return str(item.get("msg", kind))


# Values an earlier contract took, with what to write now; keyed by the value, checked against a
# value the field still takes so that the advice is given only where it applies.
RETIRED_VALUES = {
    "reviewed": (
        "published",
        "审核状态改为 草稿 draft → 待审 pending → 已发布 published；审核通过的写 published"
        "（并写 reviewer、date，或用 casebook publish），尚待审核的写 pending",
    ),
}


# Keys an earlier contract took, with the model that took them and what to write now.
RETIRED_KEYS = {
    "counts": (
        Indicator,
        "指标按写明的条件计算：满意率的分子写作 numerator: {unit_rating: [满意, 基本满意]}，"
        "分母写作 where: {unit_rating: [满意, 基本满意, 不满意]}，并写 kind: rate、date: closed"
        "（见“统计数字从哪里来”帮助页）",
    ),
}


def _model_at(model_type: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The nested model class reached by following `loc` through the fields."""
    current: Any = model_type
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = _field_by_key(current, part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside `X`, `X | None`, `list[X]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _field_by_key(model_type: type[BaseModel], key: str) -> Any:
    for name, info in model_type.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _field_names_at(model_type: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model = _model_at(model_type, loc)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _description_at(model_type: type[BaseModel], loc: tuple[Any, ...]) -> str:
    model = _model_at(model_type, loc[:-1])
    info = _field_by_key(model, str(loc[-1])) if model and loc else None
    return info.description if info is not None and info.description else "格式不符"
