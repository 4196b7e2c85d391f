"""jieba's dictionary read a word at a time (derive/jieba_words.py) cuts exactly as the whole dictionary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.derive import similar
from generator.derive.jieba_words import PartialTokenizer, word_table
from generator.derive.similar import Segmenter, domain_words, library_texts


@pytest.fixture(scope="module")
def sentences(library) -> list[str]:
    found: set[str] = set()
    for text in library_texts(library):
        for part in (text.title, text.body, text.topic or "", *text.tags):
            found |= {s for s in similar._SENTENCE.split(part) if s}
    return sorted(found)


def segmenters(library, partial: bool) -> Segmenter:
    segmenter = Segmenter(domain_words(library), blocked=library.settings.model.protected_names)
    segmenter._may_go_partial = partial
    return segmenter


def test_the_sample_library_is_cut_the_same_word_for_word(library, sentences):
    whole, partial = segmenters(library, False), segmenters(library, True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(similar, "PARTIAL_UP_TO", 10**9)  # never load the whole dictionary in `partial`
        cut_partially = [partial.terms(s) for s in sentences]
        assert partial._partial is not None and partial._full is None
    assert cut_partially == [whole.terms(s) for s in sentences]
    assert whole._full is not None and len(sentences) > 500


def test_going_over_to_the_whole_dictionary_midway_changes_nothing(library, sentences):
    whole, partial = segmenters(library, False), segmenters(library, True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(similar, "PARTIAL_UP_TO", 300)
        cut = [partial.terms(s) for s in sentences[:200]]
        assert partial._full is not None and partial._partial is None
    assert cut == [whole.terms(s) for s in sentences[:200]]


@pytest.fixture(scope="module")
def alphabet(sentences) -> str:
    return "".join(sorted({c for s in sentences for c in s}))[:3000]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_is_cut_as_the_whole_dictionary_cuts_it(library, alphabet, data):
    """Random strings over the sample's own characters, with and without the library's words,
    HMM on and off: jieba's cut, its cut for search, and its suggested word frequencies."""
    import jieba

    text = data.draw(st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=40))
    added = data.draw(st.lists(st.sampled_from(sorted(domain_words(library))), max_size=5))
    table = word_table()
    assert table is not None
    similar._jieba_base()
    whole = jieba.Tokenizer()
    whole.FREQ, whole.total, whole.initialized = dict(jieba.dt.FREQ), jieba.dt.total, True
    partial = PartialTokenizer(table)
    for word in added:
        whole.add_word(word)
        partial.add_word(word)
    assert partial.inner.total == whole.total
    for hmm in (True, False):
        assert partial.cut(text, HMM=hmm) == list(whole.cut(text, HMM=hmm))
        assert partial.lcut_for_search(text, HMM=hmm) == whole.lcut_for_search(text, HMM=hmm)


def test_an_update_does_not_load_the_whole_dictionary():
    """A few new sentences in a new process: jieba's 350,000 words stay on disk."""
    script = (
        "from generator.derive import similar\n"
        "s = similar.Segmenter(['不动产权证', '农民工工资'])\n"
        "print(s.terms('业主反映不动产权证迟迟办不下来。开发商拖欠农民工工资'))\n"
        "print(similar._base_tokenizer is None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
    )
    terms, untouched = result.stdout.strip().splitlines()
    assert "不动产权证" in terms and "农民工工资" in terms and untouched == "True"


def test_without_a_table_the_whole_dictionary_is_used(library, sentences, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    from generator.derive import jieba_words

    assert jieba_words.word_table(blocker / "jieba") is None
    monkeypatch.setattr(similar, "word_table", lambda: None)
    segmenter = segmenters(library, True)
    assert [segmenter.terms(s) for s in sentences[:20]] == [segmenters(library, False).terms(s) for s in sentences[:20]]
    assert segmenter._full is not None
