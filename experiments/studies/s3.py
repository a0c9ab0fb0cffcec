"""S3 (issue 4): attention-LSTM sentiment on IMDB (binary) and SemEval tweets (3-class)."""

from experiments.attention_lstm import recipe_flags
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
# The study's protocol (the experiment's flag defaults) at the CPU budget's sizes.
RNN = ("--recipe=study", "--embed=64", "--hidden=64")
ATTENTION = ("--model=attn_lstm", *RNN, "--attn_size=64")


def explain(texts) -> tuple[str, ...]:
  return tuple(f"--explain={t}" for t in texts)


IMDB = (
    Job("imdb-attn_lstm", "attention_lstm",
        ("--task=imdb", *ATTENTION, "--epochs=3", "--patience=2", *explain(REVIEWS)), "imdb"),
    Job("imdb-ffnn", "attention_lstm", ("--task=imdb", "--recipe=study", "--model=ffnn", "--hidden=64", "--epochs=15",
                                        "--patience=3"),
        "imdb"),
    Job("imdb-rnn", "attention_lstm", ("--task=imdb", "--model=rnn", *RNN, "--epochs=5"), "imdb"),
)
# Ours (issue 17): a fastText-style bag of words and hashed bigrams; the experiment's default
# recipe for --model=ngram_bag (experiments/attention_lstm.py RECIPES, chosen on val).
IMDB_NGRAM = Job("imdb-ngram", "attention_lstm", recipe_flags("imdb", "ngram_bag"), "imdb")
# The bag's first recipe, words + bigrams only and unweighted: the row the char n-grams and class
# weights of the default recipe (tweets-ngram) are measured against.
TWEETS_NGRAM_WORDS = Job("tweets-ngram-words", "attention_lstm",
                         ("--task=tweets", "--recipe=study", "--model=ngram_bag", "--ngrams=2", "--embed=32",
                          "--max_len=p95", "--lr=3e-3", "--schedule=cosine", "--patience=0", "--buckets=262144",
                          "--epochs=5"), "tweets")
TWEETS_NGRAM = Job("tweets-ngram", "attention_lstm", recipe_flags("tweets", "ngram_bag"), "tweets")
# The attention LSTM's first recipe (class weights, cosine, p95), without the char n-grams of today's.
TWEETS_BALANCED = Job("tweets-attn_lstm-balanced", "attention_lstm",
                      ("--task=tweets", "--model=attn_lstm", "--embed=64", "--hidden=64", "--attn_size=64",
                       "--schedule=cosine", "--patience=0", "--sample_weights=inverse_bin", "--max_len=p95",
                       "--epochs=6", "--warmup=0.05", "--lr=2e-3"), "tweets")
# Today's recipe: + char n-grams beside the attention and an n-gram bag's logits beside the head.
TWEETS_CHARS = Job("tweets-attn_lstm-chars", "attention_lstm", recipe_flags("tweets", "attn_lstm"), "tweets")
# Ours (issues 16–17): the attention LSTM over whole reviews (p95: 708 tokens), in 8 length buckets,
# with a cosine schedule (chosen on val over the study's constant 1e-3, 3 epochs): the default recipe.
IMDB_WHOLE = Job("imdb-attn_lstm-whole", "attention_lstm", recipe_flags("imdb", "attn_lstm"), "imdb")
TWEETS = Job("tweets-attn_lstm", "attention_lstm",
             ("--task=tweets", *ATTENTION, "--epochs=4", "--patience=2", *explain(PRODUCT_REVIEWS)), "tweets")

STUDY = Study(
    key="S3",
    title="S3 — attention-LSTM sentiment: IMDB binary, SemEval tweets 3-class (issue 4)",
    full=(*IMDB, IMDB_WHOLE, IMDB_NGRAM, TWEETS, TWEETS_BALANCED, TWEETS_CHARS, TWEETS_NGRAM_WORDS, TWEETS_NGRAM),
    quick=(*(job.with_flags("--subset=5000", "--max_len=128", "--epochs=2") for job in IMDB),
           TWEETS.with_flags("--subset=10000", "--epochs=2")),
    quick_changes="IMDB: a 5,000-review subset, 128 tokens (full: the mean, 281); tweets: a 10,000-tweet subset; "
                  "2 epochs (full: 3–15)",
    metrics=("precision", "recall", "f1", "macro_precision", "macro_recall"),
    intro="""\
Protocol as the study: 80/10/10 stratified split (identical texts grouped by a normalised text
hash, so no text is in two splits), word-level vocabulary of training-split words seen ≥ 5 times
+ PAD/UNK, length cut at the mean training length (IMDB 281 tokens, tweets 28; the study's
spaCy tokens gave 272), `<br />` removed, batch 64, Adam 1e-3, best epoch per seed by
validation F1 (positive class for IMDB, macro for tweets), test of that checkpoint. The 2-logit
softmax + CE head is the study's sigmoid + BCE. Data: the 25,000 labelled IMDB *train* reviews
(the study split the 50k train+test pool, so its splits were the same size) and the
49,570-tweet SemEval 2013–2016 pool. CPU budget: embedding 64, hidden 64, attention 64, dropout
0.2 on the pooled vector, and fewer epochs than the study's 15 with early stopping (validation
F1 is flat or falling after epoch 2–3 while training accuracy keeps climbing). Precision,
recall and F1 are the positive class's (binary IMDB only); macro-recall is SemEval's headline
metric. Each run dir holds `RESULTS.md`, `learning_curves.png`, `confusion.png` and, for the
attention LSTMs, `attention_<i>.png` for each `--explain` text; `python -m lyric_jax.predict
--run_dir=RUN --text="..." --explain_png=attention.png` explains any text.""",
    note="""\
On IMDB our attention LSTM ({imdb-attn_lstm:accuracy} %, F1 {imdb-attn_lstm:f1}; ensemble
{imdb-attn_lstm:accuracy@ensemble} %) beats the study's single run (86.48 %, F1 86.4), and — as in
the study — the FFNN over mean-pooled embeddings is as good ({imdb-ffnn:accuracy} %): with
reviews cut at 281 tokens, word identity carries most of the signal. TF-IDF word 1–2-grams +
logistic regression on the same split scores {imdb-attn_lstm:accuracy@classic} % (attention LSTM
minus baseline: {imdb-attn_lstm:accuracy@gap} points; issue 17). The study's vanilla RNN at
53.75 % (≈ chance) is not a property of the architecture: read at the last *real* token, an Elman
RNN reaches {imdb-rnn:accuracy} % (ensemble {imdb-rnn:accuracy@ensemble}), though its training
is unstable across seeds. Read whole (`imdb-attn_lstm-whole`, the experiment's default recipe:
cut at the p95 length, 708 tokens, batches in 8 length buckets; lr 2e-3 on a cosine schedule,
4 epochs) the attention LSTM scores {imdb-attn_lstm-whole:accuracy} % (ensemble
{imdb-attn_lstm-whole:accuracy@ensemble} %); the buckets make 2.5× longer texts cost about 1.2×
the time (examples/s column; `bench.buckets`: 2.27× faster than the same cut unbucketed). Our
fastText-style bag of words + hashed bigrams over whole reviews (`imdb-ngram`, the default recipe
of `--model=ngram_bag`: 2¹⁹ buckets, embedding 64, every review whole in 8 length buckets, cosine
schedule, 6 epochs; chosen on val F1 over embedding 32 cut at p95, 0.905 → 0.910) is the best net,
{imdb-ngram:accuracy} % (ensemble {imdb-ngram:accuracy@ensemble}), {imdb-ngram:accuracy@gap} points
from the logistic regression.

On tweets the study's attention LSTM reaches {tweets-attn_lstm:accuracy} % accuracy and
macro-recall {tweets-attn_lstm:macro_recall} (ensemble {tweets-attn_lstm:macro_recall@ensemble});
word + char TF-IDF + class-balanced logistic regression on the same split reaches macro-recall
{tweets-attn_lstm:macro_recall@classic} (accuracy {tweets-attn_lstm:accuracy@classic} %). Two changes
chosen on val narrow that gap. Class-balanced losses (`--sample_weights=inverse_bin`, as the
baseline's class weights) with a cosine schedule over the p95 length (`tweets-attn_lstm-balanced`)
give the attention LSTM macro-recall {tweets-attn_lstm-balanced:macro_recall}
(ensemble {tweets-attn_lstm-balanced:macro_recall@ensemble}). The mean of hashed char 2–5-gram
vectors of the tweet's bytes beside the attention-pooled states (`--char_ngrams=5`,
mean best val macro-F1 0.635 → 0.655) with each replica's epoch kept by val macro-recall (SemEval's
metric; val 0.672 → 0.683) and the logits of a bag of words + hashed bigrams added to the head's
(`--bag_ngrams=2`, trained jointly; val 0.683 → 0.688), `tweets-attn_lstm-chars`, the default recipe, lifts it to
{tweets-attn_lstm-chars:macro_recall} (ensemble {tweets-attn_lstm-chars:macro_recall@ensemble}),
{tweets-attn_lstm-chars:macro_recall@gap} points from the baseline: misspellings, hashtags and
elongations are unknown words to the vocabulary but share char n-grams with what they spell. The n-gram bag of words + bigrams alone
(`tweets-ngram-words`) has macro-recall {tweets-ngram-words:macro_recall}; with class weights and
hashed char 2–5-grams of the lowercased bytes in their own table (`tweets-ngram`, the default recipe
of `--model=ngram_bag`, 3 epochs; val macro-recall 0.660 with class weights alone, 0.681 with
the char n-grams) it reaches {tweets-ngram:macro_recall} (ensemble {tweets-ngram:macro_recall@ensemble}),
accuracy {tweets-ngram:accuracy} %: {tweets-ngram:macro_recall@gap} macro-recall points from the baseline, where
the words-only bag was {tweets-ngram-words:macro_recall@gap}. In-domain word vectors do not
close the gap: the attention LSTM's recipe started from 64-d skip-gram vectors of the training
tweets (`experiments.word_vectors`, 5 epochs, 9,384 words) scored macro-recall 65.4 ± 0.4 (ensemble
65.4; 3 seeds, 2026-12-07), as from a random start; 40,000 tweets (1.0 M tokens) are too few for
the vectors to know much ("good"'s nearest words: "pissed", "thats", "yea"). Nor does
language-model pretraining (Dai & Le): the recipe started from the embedding and LSTM of a
next-word model of the training tweets (`experiments.language_model --output_vocab=3000 --
attention_lstm --task=tweets`: 6 epochs, 8 min, held-out perplexity 57.5 over the 3,000 most
frequent words + one class for the rest; then `--language_model`) scored val macro-F1 63.5 ± 0.5
(from a random start: 63.5 ± 0.3) and test macro-recall 64.9 ± 0.6 (ensemble 65.7), and
fine-tuning the pretrained layers at 0.3 × the rate with dropout 0.5 did worse (val 61.5 ± 0.1).
With `--bidirectional` the LM's backward half predicts the previous word, and a BiLSTM started
from it (4 LM epochs, 5 min) gains a little over the same BiLSTM from a random start: val
macro-F1 64.4 ± 0.3 against 63.9 ± 0.4, test macro-recall 65.7 ± 0.9 against 65.1 ± 0.9
(ensembles 67.0 against 65.0), still short of the baseline's 67.9; 3 seeds each, 2026-12-07. The
study's test 79.61 % came from a separate test file on which it scored 18 points above its own
validation (61.42 %); the best SemEval-2017 systems reached macro-recall 68.1 on the official
2017 test (not ours). The study's example sentences are all classified as their tone reads
(`attention_<i>.png` in the run dirs), including the negative product review that the study's
model called neutral. The attention picks out sentiment words: "memorable", "experience", "powerful", "exceptional";
"bored", "uninspired", "drags"; in tweets "great", "notch", "recommend"; "outstanding" after
"not" and "needs" in the neutral review; "waste" in the negative one.""",
)
