"""S0 (issue 3): lyrics → genre with flat (Bi)LSTM/GRU classifiers and the HAN, on Last.fm tags."""

from experiments.studies import Job, Study, Vectors

DATA = ("--dataset=lastfm17",)
FLAT = (*DATA, "--embed=64", "--hidden=64", "--max_len=256", "--epochs=5")
HAN = (*DATA, "--recipe=study", "--embed=64", "--word_hidden=32", "--line_hidden=32", "--attn_size=64", "--max_lines=32",
       "--max_words=10", "--lr=1e-3", "--epochs=5")

LSTM = Job("lstm", "lstm", FLAT, "lastfm17")
GRU = Job("gru", "gru", FLAT, "lastfm17")
HAN_JOB = Job("han", "han", HAN, "lastfm17")
# Ours (issue 17): the TF-IDF n-gram bag, `experiments.lstm --model=ngram_bag`'s default recipe (chosen on val).
NGRAM = Job("ngram", "lstm", ("--model=ngram_bag", *DATA), "lastfm17")
# Ours (issue 17): the HAN over whole songs (p95 lines × p95 words, 4 length buckets), regularised, from
# skip-gram vectors of the training songs: the best HAN on val.
HAN_WHOLE_SGNS = Job("han-p95-sgns", "han", (
    *DATA, "--embed=64", "--word_hidden=32", "--line_hidden=32", "--attn_size=64", "--max_lines=p95",
    "--max_words=p95", "--length_buckets=4", "--dropout=0.5", "--optimizer=adamw", "--weight_decay=0.1",
    "--schedule=cosine", "--lr=2e-3", "--epochs=8"), "lastfm17", vectors=Vectors(("--dim=64", "--epochs=10")))
# The HAN again on the old split (exact artist + track string): measures what the artist leak was worth.
FULL = (LSTM, LSTM.with_flags("--bidirectional", name="bilstm"), GRU, GRU.with_flags("--bidirectional", name="bigru"),
        HAN_JOB, HAN_JOB.with_flags("--grouping=track", name="han-track"), NGRAM, HAN_WHOLE_SGNS)
QUICK = (*(job.with_flags("--subset=2000", "--epochs=2", "--max_len=128") for job in (LSTM, GRU)),
         HAN_JOB.with_flags("--subset=2000", "--epochs=2", "--max_lines=16"))

STUDY = Study(
    key="S0",
    title="S0 — lyrics → genre with LSTM / GRU / HAN (issue 3)",
    full=FULL,
    quick=QUICK,
    quick_changes=("a 2,000-song subset, 2 epochs (full: 5), 128 tokens (HAN: 16 lines; full: 256 tokens, "
                   "32 lines); BiLSTM and BiGRU dropped"),
    intro="""\
Data: Last.fm top tracks with full Genius lyrics (`lyrics_lastfm17_genius_dev.csv.gz`), our
single-label genre task: 13 genre tags (80s/british/acoustic dropped, rap + Hip-Hop merged), one
row per song. Rules (each a `--dataset_options` choice, the study's kept as an option; the run's
RESULTS.md prints the rows per class after each rule): a song with several genre tags goes to the
genre with the fewest songs so far (`multi_genre=balanced`; the study's "tag whose top list ranks
it highest", `multi_genre=best_rank`, left rock with 167 songs and alternative with 120, as rock,
indie and alternative share most of their top lists); non-ASCII characters are stripped
(`non_ascii=strip_chars`; the study's `drop_song` dropped 633 songs for one accented letter or
a Genius look-alike letter, 428 of them English, mostly rap, rnb and reggae); suspect Genius
matches and non-English songs are dropped and counted. The split groups songs by normalised
artist ("& The …", "feat.", "&"/"and", "$"→"s", case, punctuation) and by normalised text, so no
artist and no lyric is in two splits; `han-track` is the HAN on the old split (grouped by the exact
artist + track string, `--grouping=track`), where 91.5 % of test songs had their artist in train.
The study's MetroLyrics (11 genres, Rock ~46 % majority) is not reachable, so its numbers are
context only. CPU-sized runs: 5 epochs, batch 32, Adam 1e-3; LSTM/GRU emb 64 / hidden 64 over
256 tokens reading the state at each song's true last token; HAN-GRU (bidirectional) emb 64,
word/line GRU 32, attention 64, 32 lines × 10 words.""",
    note="""\
On the artist-grouped split the HAN is the best of the study's nets ({han:accuracy} %, its
3-replica ensemble {han:accuracy@ensemble} %; 13 classes, majority {han:majority} %), ahead of the
flat nets (BiLSTM {bilstm:accuracy}, BiGRU {bigru:accuracy}, GRU {gru:accuracy}, LSTM
{lstm:accuracy}): the study's ordering, and bidirectional beats unidirectional for both cells. But
TF-IDF word 1–2-grams + logistic regression on the same split scores {han:accuracy@classic} % (HAN
minus baseline: {han:accuracy@gap} points). Ours, `ngram` (words + hashed bigrams pooled by the
baseline's own sublinear TF-IDF with idf fitted on train, word dropout 0.5, AdamW at lr 1e-2 with
decoupled weight decay 1.0, cosine, whole songs to the 95th-percentile length; `--recipe=best`,
chosen on val), is the first net at the baseline's level: {ngram:accuracy} % (ensemble
{ngram:accuracy@ensemble} %, gap {ngram:accuracy@gap}, inside one std). The decay plays the part of
the regression's L2 penalty: with Adam alone the bag fits the 5,966 training songs in two epochs (training accuracy
27 % → 72 %), its best val epoch is the first (33.2 % val, 28.6 ± 0.7 % test, ensemble 30.3 %), and
the decay stretches that to ~8 epochs at 34.4 % val. Issue 17's targets (HAN ≥ the baseline, the best net ≥ it + 3 points) are not met.
In-domain word vectors help the HAN but do not close the gap. Started from 64-d skip-gram
vectors of the training songs (`experiments.word_vectors --dim=64 --epochs=10 -- han
--dataset=lastfm17`, 19,573 words; then `experiments.han` with `--vectors` and the study's sizes,
dropout 0.5, AdamW with decay 0.1, cosine from lr 2e-3, 8 epochs) it scores 26.4 ± 1.2 %
(ensemble 27.0 %; 3 seeds, 2026-12-07), against {han:accuracy} % for the study's HAN. Chosen on val
(mean best val accuracy 28.5 %) over the same net from a random start (27.5 %; the study's HAN:
27.7 %), with decay 1.0 (25.6 %) and with the vectors frozen (27.0 %): on 5,966 songs the HAN
fits the training split (training accuracy 63 % by epoch 8) whatever the penalty. Whole songs help on
val: `han-p95-sgns` (the same recipe over the 95th-percentile song, 86 lines × 14 words, in 4 length
buckets; mean best val accuracy 29.7 %, from a random start 28.7 %) scores {han-p95-sgns:accuracy} %
(ensemble {han-p95-sgns:accuracy@ensemble} %, {han-p95-sgns:accuracy@gap} points from the baseline).
Language-model pretraining of the word encoder does not help: from a next/previous-word model of
the 173,447 training lines (`experiments.language_model --batch_size=256 --output_vocab=5000 --
han <the 32 × 10 flags>`, 5 epochs, 10 min, held-out perplexity 90 over 5,000 words + one class for
the rest) the 32 × 10 recipe reaches val 26.9 ± 0.5 % (test 25.2 ± 0.5 %), and with that
embedding frozen and the encoder at 0.3 × the rate 20.5 %: a 32-unit GRU's next-word features are
too weak to classify from. A HAN with the TF-IDF bag beside it
(`--bag_ngrams=2`: the bag's logits, over the song's words and hashed bigrams with idf fitted on
train, summed with the HAN's and trained jointly; the whole-song HAN recipe above from a random
start, 2 seeds × 2 rates, 2026-12-07) does not beat the bag alone: mean best val accuracy 32.3 %
(decay 0.3, lr 2e-3; 31.7 % at 6e-3) and 32.1 % (decay 1.0, lr 3e-3; 31.5 % at 1e-2), against
34.4 % for the bag alone and 28.7 % for the HAN alone, with training accuracy at 97 % by epoch 6
(decay 0.3) and 88 % by epoch 5 (decay 1.0): the HAN half memorises the training songs before the
bag has learnt, and its noise costs the sum ~2 val points (both runs stopped at epochs 6 and 5 of 8,
their val falling). Run whole over 4 epochs (decay 0.3, lr 2e-3, 3 seeds: `python -m
experiments.han --dataset=lastfm17 --bag_ngrams=2 --weight_decay=0.3 --epochs=4`) it has val
31.7 ± 0.6 % and test 28.41 ± 0.70 % per replica, ensemble 29.53 %: 4 points above the HAN alone and
level with TF-IDF + LR (28.72) inside one std, but under the bag alone on val and on test. The whole-song recipe from a random start (val 28.7 %, test 24.3 ±
0.9 %; the best HAN on val that needs no vectors file) is the default of `python -m experiments.han
--dataset=lastfm17` (`--recipe=study` runs the study's HAN, the `han` row). Nor does averaging
the two runs' probabilities (`experiments.ensemble`, 2026-12-07, as for tweets in S3): the 3
skip-gram HAN replicas and the 3 bag replicas together have val accuracy 32.1 % against the bag's
34.3 % (test 29.9 % against 29.8 %), and with the 3 random-start HANs added 33.7 % (test 28.2 %). On the old track-grouped split
the study's HAN scores {han-track:accuracy} %
beside a baseline of {han-track:accuracy@classic} % on that split: the artist leak inflated both,
the bag of words most (an artist lookup alone scored 77.6 % there). Absolute numbers are far below
the study's 59.98 % because the task differs (13 crowd-tag genres, none dominant, and no artist
shared between splits, against MetroLyrics' Rock-dominated 11) and these are 5 CPU epochs.""",
)
