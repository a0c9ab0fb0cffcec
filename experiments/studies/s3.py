"""S3 (issue 4): attention-LSTM sentiment on IMDB (binary) and SemEval tweets (3-class)."""

from experiments.studies import Job, Study

# The study's example sentences; the attention heatmaps land in the run dir (attention_<i>.png).
REVIEWS = (
    "This movie is a true gem. The remarkable visuals, engaging plot, and stellar performances come together "
    "to create a powerful and memorable experience. It's a must-watch for fans of exceptional storytelling.",
    "A lacklustre effort at creating suspense, marred by a clichéd script and uninspired performances. The story "
    "drags on without any real tension, leaving the audience bored and uninterested.",
)
PRODUCT_REVIEWS = (
    "Thrilled with this purchase! The product is even better than described, with top-notch quality and great "
    "functionality. Highly recommend it to anyone looking for something reliable and worth every penny!",
    "The product arrived promptly and matches the description. It's decent quality, not outstanding, but it gets "
    "the job done and meets my needs for now.",
    "Extremely let down by this product. It feels cheaply made, doesn't perform as promised, and was a complete "
    "waste of money. I wouldn't recommend it to anyone.",
)
RNN = ("--embed=64", "--hidden=64")
ATTENTION = ("--model=attn_lstm", *RNN, "--attn_size=64")


def explain(texts) -> tuple[str, ...]:
  return tuple(f"--explain={t}" for t in texts)


IMDB = (
    Job("imdb-attn_lstm", "attention_lstm",
        ("--task=imdb", *ATTENTION, "--epochs=3", "--patience=2", *explain(REVIEWS)), "imdb"),
    Job("imdb-ffnn", "attention_lstm", ("--task=imdb", "--model=ffnn", "--hidden=64", "--epochs=15", "--patience=3"),
        "imdb"),
    Job("imdb-rnn", "attention_lstm", ("--task=imdb", "--model=rnn", *RNN, "--epochs=5"), "imdb"),
)
TWEETS = Job("tweets-attn_lstm", "attention_lstm",
             ("--task=tweets", *ATTENTION, "--epochs=4", "--patience=2", *explain(PRODUCT_REVIEWS)), "tweets")

STUDY = Study(
    key="S3",
    title="S3 — attention-LSTM sentiment: IMDB binary, SemEval tweets 3-class (issue 4)",
    full=(*IMDB, TWEETS),
    quick=(*(job.with_flags("--subset=5000", "--max_len=128", "--epochs=2") for job in IMDB),
           TWEETS.with_flags("--subset=10000", "--epochs=2")),
    quick_changes="IMDB: a 5,000-review subset, 128 tokens (full: the mean, 281); tweets: a 10,000-tweet subset; "
                  "2 epochs (full: 3–15)",
    metrics=("precision", "recall", "f1", "macro_precision", "macro_recall"),
    intro="""\
Protocol as the study: 80/10/10 stratified split (exact-duplicate texts grouped), word-level
vocabulary of training-split words seen ≥ 5 times + PAD/UNK (IMDB 26,355 words, tweets 9,435),
length cut at the mean training length (IMDB 281 tokens, tweets 28; the study's spaCy
tokens gave 272), `<br />` removed, batch 64, Adam 1e-3, best epoch per seed by validation F1
(positive class for IMDB, macro for tweets), test of that checkpoint. The 2-logit softmax + CE
head is the study's sigmoid + BCE. Data: the 25,000 labelled IMDB *train* reviews
(20,006 / 2,498 / 2,496) — the study split the 50k train+test pool, so its splits were the
same size; and the 49,570-tweet SemEval 2013–2016 pool (39,658 / 4,955 / 4,957). Compute
budget (2 CPU cores shared by four engineers, load average ≈ 10): embedding 64, hidden 64,
attention 64, dropout 0.2 on the pooled vector, and fewer epochs than the study's 15 with
early stopping (the validation F1 curves are flat or falling after epoch 1–3, while training
accuracy climbs to 96–99.6%; the study's 15 epochs reached 99.8% train accuracy). Precision,
recall and F1 are the positive class's (binary IMDB only); macro-recall is SemEval's headline
metric. Each run dir holds `RESULTS.md`, `learning_curves.png` (loss, accuracy, P, R, F1 per
epoch, train and val), `confusion.png` and, for the attention LSTMs, `attention_<i>.png` for
each `--explain` text; `python -m lyric_jax.predict --run_dir=RUN --text="..."
--explain_png=attention.png` explains any text.""",
    note="""\
On IMDB our attention LSTM (87.1 ± 0.8%, F1 0.875 ± 0.006) matches or beats the
study's single run (86.48%, F1 0.864) after 3 epochs, and — as in the study — the FFNN over
mean-pooled embeddings is as good or better (88.1 ± 0.5%): with reviews cut at 281 tokens,
word identity carries most of the signal. Both are below the classic results on the official
25k/25k split (Maas et al. 2011: 88.89%, NBSVM-bi 91.22%). The study's vanilla RNN at 53.75%
(≈ chance) is not a property of the architecture: read at the last *real* token, an Elman RNN
reaches 79.2 ± 1.0%, although its training is unstable (seed 0's validation accuracy fell
from 81% at epoch 3 to 64% at epoch 5; the best-validation checkpoint keeps epoch 3). On
tweets we get 65.7% accuracy, macro-F1 0.630 and macro-recall 0.628 — above the study's
*validation* accuracy (61.42%), far below its test 79.61%, which came from a separate test
file on which it scored 18 points above validation; the best SemEval-2017 systems reached
macro-recall 0.681 on the official 2017 test (not ours). The attention heatmaps of the study's
sentences are all classified correctly, including the negative product review the study's
model called neutral. With a unidirectional LSTM the IMDB attention leans to later tokens
(each state has read more) and to sentence ends, with peaks on sentiment words
("exceptional", "storytelling"; "drags", "uninspired"); on the short tweets it is sharper
("great", "recommend"; "not" 0.31 in the neutral review; "waste", "money").

Throughput is training examples per second through the whole 3-seed population (each example
updates three models), on a machine where our process got ≈ 30% of one core (IMDB attention
LSTM: 358 s of CPU in 21 min wall; FFNN 169 s / 8.8 min; tweets 114 s / 7.3 min).""",
)
