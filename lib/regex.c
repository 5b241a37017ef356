/* SPDX-License-Identifier: MIT */
/*
 * Syntax tree (regex-parse.c) -> Thompson NFA -> DFA states built as the
 * input asks for them, so each input byte costs one table lookup, or at
 * worst one step of the whole NFA: never backtracking.
 */
#include "regex.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "regex-syntax.h"
#include "util.h"

/*
 * Beyond this (an upper bound of the NFA's size, node_cost) bootseal
 * refuses the pattern. composefs-rs has no bound but memory: regex-syntax
 * takes counts up to 2^32-1, and regex-automata's compiler allocates until
 * the process aborts (x{1000}{1000}{10}, 10M states, takes it 670 MB). Real
 * policies' largest patterns have tens of states; two million (80 MB here)
 * is far past any, and a selabel budget bounds what a policy's many take.
 */
#define STATES_MAX (1u << 21)

/* S_SPLIT: out is the preferred way, alt the other. */
enum state_kind { S_BYTES, S_SPLIT, S_LOOK, S_MATCH, S_CTX };

/*
 * Assertions are decided from the byte before and the byte after: one whose
 * answer needs the byte after is kept in the state set (deferred) until the
 * next byte, or the end, is known; the set then also holds an S_CTX state
 * that says what the byte before was (one of these kinds).
 */
enum { CTX_START, CTX_WORD, CTX_LF, CTX_CR, CTX_NUL, CTX_OTHER, N_CTX };
#define AT_START (-1)
#define AT_END (-1)
#define UNKNOWN_NEXT (-2)

struct state {
	uint8_t kind;
	uint32_t out;
	uint32_t alt;           /* S_SPLIT: the second way */
	uint32_t set;           /* S_BYTES; S_LOOK: enum bs_regex_look; S_CTX: CTX_* */
};

/* The DFA cache: states are sorted NFA state sets, transitions per byte class. */
struct dfa {
	int16_t *trans;         /* n * n_classes; UNKNOWN, DEAD or a state */
	int32_t start;
	uint32_t *set_start, *set_len;
	uint8_t *accepts;       /* ACCEPT_* at the end of the input */
	uint32_t *pool;         /* the sets' NFA states */
	size_t pool_len;
	int32_t *table;         /* hash of sets -> state, open addressing */
	uint32_t n, alloc;
};

#define UNKNOWN (-1)
#define DEAD (-2)
enum { ACCEPT_UNKNOWN, ACCEPT_NO, ACCEPT_YES };

/* Bounds of one pattern's cache; when full it is emptied and refilled. */
#define DFA_STATES_MAX 256              /* fits trans[] */
#define DFA_TRANS_MAX (16u << 10)       /* transitions, all states together */
#define DFA_TABLE_SIZE (2 * DFA_STATES_MAX)

/*
 * Bytes every match starts with are compared directly, as most
 * file_contexts patterns are mostly literal; the DFA starts after them.
 */
#define PREFIX_MAX 64

/* What a cached match reads comes first: a policy's thousands of patterns
 * each cost a few cache misses per lookup, which dominate. */
struct bs_regex {
	struct dfa dfa;
	unsigned n_classes;
	unsigned prefix_len;
	uint8_t prefix[PREFIX_MAX];
	uint8_t class_of[256];
	struct state *states;
	uint32_t n_states, entry, match;
	uint32_t pattern_end;           /* the state after the pattern (match, or any bytes then match) */
	struct bs_byteset *sets;
	uint32_t *mark, gen;            /* closure: visited when mark == gen */
	uint32_t *mark2, gen2, *stack2; /* resolving deferred assertions */
	uint32_t *stack, *cur, *next;   /* n_states each */
	uint32_t ctx;                   /* first S_CTX state; N_CTX of them */
	bool deferred;                  /* closure() kept an assertion for later */
	bool any_end;                   /* a match may end before the input does */
	bool context;                   /* assertions look at the byte before */
	bool may_be_empty;              /* a path to the match consumes nothing */
	uint32_t *start, n_start;       /* the NFA states after the prefix */
	unsigned dfa_states_max;
	uint64_t stepped;               /* NFA states stepped, all matches */
	struct bs_regex_budget *budget; /* NULL: unbounded */
	size_t nfa_bytes, cache_bytes;  /* what it holds */
};

/* The states compile() makes (at most), computed first so that nested
 * counts cannot make it loop for long. */
static uint64_t node_cost(const struct bs_regex_tree *t, uint32_t i)
{
	const struct bs_regex_node *n = &t->nodes[i];
	uint64_t sum = 0, c;

	switch (n->kind) {
	case RE_CAT:
	case RE_ALT:
		for (uint32_t k = n->child; k != RE_NONE; k = t->nodes[k].next) {
			/* a split per way but the first */
			sum += node_cost(t, k) + (n->kind == RE_ALT && k != n->child);
			if (sum > STATES_MAX)
				return STATES_MAX + 1;
		}
		return sum;
	case RE_REPEAT:
		/* copies, a split per optional one, two splits for a loop */
		c = node_cost(t, n->child) * (n->unbounded ? (uint64_t)n->min + 1 : n->max) +
		    (n->unbounded ? 2 : n->max - n->min);
		return c > STATES_MAX ? STATES_MAX + 1 : c;
	default:
		return 1;
	}
}

static uint32_t add_state(struct bs_regex *re, enum state_kind kind, uint32_t out, uint32_t alt)
{
	re->states[re->n_states] = (struct state){ .kind = kind, .out = out, .alt = alt, .set = RE_NONE };
	return re->n_states++;
}

/* A split whose preferred way is first (if greedy) or second; ways may be patched later. */
static uint32_t add_split(struct bs_regex *re, uint32_t first, uint32_t second, bool greedy)
{
	return greedy ? add_state(re, S_SPLIT, first, second) : add_state(re, S_SPLIT, second, first);
}

static void patch_first(struct bs_regex *re, uint32_t split, uint32_t first, bool greedy)
{
	if (greedy)
		re->states[split].out = first;
	else
		re->states[split].alt = first;
}

/*
 * Thompson's construction, right to left: returns the entry of node i
 * continuing to next. Splits keep regex-automata's order of preference,
 * repetitions its shapes (nfa/thompson/compiler.rs c_repetition), so that
 * leftmost_first_end() ends a match where composefs-rs's DFA does.
 */
static uint32_t compile(struct bs_regex *re, const struct bs_regex_tree *t, uint32_t i, uint32_t next)
{
	const struct bs_regex_node *n = &t->nodes[i];
	uint32_t k, entry, loop, body;

	switch (n->kind) {
	case RE_BYTES:
		entry = add_state(re, S_BYTES, next, RE_NONE);
		re->states[entry].set = n->set;
		return entry;
	case RE_LOOK:
		entry = add_state(re, S_LOOK, next, RE_NONE);
		re->states[entry].set = n->look;
		return entry;
	case RE_CAT:
		for (k = n->last; k != RE_NONE; k = t->nodes[k].prev)
			next = compile(re, t, k, next);
		return next;
	case RE_ALT:
		entry = RE_NONE;
		for (k = n->last; k != RE_NONE; k = t->nodes[k].prev) {
			uint32_t way = compile(re, t, k, next);
			entry = entry == RE_NONE ? way : add_state(re, S_SPLIT, way, entry);
		}
		return entry;
	case RE_REPEAT:
		break;
	}
	if (!n->unbounded) {
		/* x{2,4} is x x (x (x)?)?, each optional x leaving to next */
		entry = next;
		for (uint32_t j = n->min; j < n->max; j++)
			entry = add_split(re, compile(re, t, n->child, entry), next, n->greedy);
		for (uint32_t j = 0; j < n->min; j++)
			entry = compile(re, t, n->child, entry);
		return entry;
	}
	if (n->min == 0 && !t->nodes[n->child].may_be_empty) {
		/* x*: one split that loops */
		loop = add_split(re, RE_NONE, next, n->greedy);
		patch_first(re, loop, compile(re, t, n->child, loop), n->greedy);
		return loop;
	}
	/* x{2,} is x x+; x* is (x+)? when x can be empty, which keeps the
	 * order of preference an empty x would upset (rust-lang/regex#779). */
	loop = add_split(re, RE_NONE, next, n->greedy);
	body = compile(re, t, n->child, loop);
	patch_first(re, loop, body, n->greedy);
	if (n->min == 0)
		return add_split(re, body, next, n->greedy);
	entry = body;
	for (uint32_t j = 1; j < n->min; j++)
		entry = compile(re, t, n->child, entry);
	return entry;
}

static void new_generation(struct bs_regex *re)
{
	if (++re->gen == 0) {
		memset(re->mark, 0, re->n_states * sizeof(*re->mark));
		re->gen = 1;
	}
}

static bool is_word(int b)
{
	return b >= 0 && ((b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') || b == '_');
}

/*
 * Whether assertion look holds between prev (a byte or AT_START) and next
 * (a byte, AT_END or UNKNOWN_NEXT): 1, 0, or -1 when it depends on next.
 */
static int look_holds(unsigned look, int prev, int next)
{
	bool unknown = next == UNKNOWN_NEXT;

	switch (look) {
	case LOOK_START:
		return prev == AT_START;
	case LOOK_START_LF:
		return prev == AT_START || prev == '\n';
	case LOOK_START_CRLF:
		if (prev == AT_START || prev == '\n')
			return 1;
		if (prev != '\r')
			return 0;
		return unknown ? -1 : next != '\n';
	case LOOK_WORD_START_HALF:
		return !is_word(prev);
	default:
		break;
	}
	if (unknown) {
		if (look == LOOK_WORD_START && is_word(prev))
			return 0;
		if (look == LOOK_WORD_END && !is_word(prev))
			return 0;
		return -1;
	}
	switch (look) {
	case LOOK_END:
		return next == AT_END;
	case LOOK_END_LF:
		return next == AT_END || next == '\n';
	case LOOK_END_CRLF:
		return next == AT_END || next == '\r' || (next == '\n' && prev != '\r');
	case LOOK_WORD:
		return is_word(prev) != is_word(next);
	case LOOK_NOT_WORD:
		return is_word(prev) == is_word(next);
	case LOOK_WORD_START:
		return !is_word(prev) && is_word(next);
	case LOOK_WORD_END:
		return is_word(prev) && !is_word(next);
	case LOOK_WORD_END_HALF:
		return !is_word(next);
	default:
		return 0;
	}
}

static unsigned ctx_of_byte(int b)
{
	if (b == AT_START)
		return CTX_START;
	if (is_word(b))
		return CTX_WORD;
	return b == '\n' ? CTX_LF : b == '\r' ? CTX_CR : b == 0 ? CTX_NUL : CTX_OTHER;
}

/* A byte standing for its kind: what assertions see of the byte before. */
static int ctx_byte(unsigned ctx)
{
	static const int bytes[N_CTX] = { AT_START, 'a', '\n', '\r', 0, '!' };

	return bytes[ctx];
}

/* The byte before, as the S_CTX state in a set says (AT_START without one). */
static int prev_of(const struct bs_regex *re, const uint32_t *in, uint32_t n_in)
{
	for (uint32_t i = 0; i < n_in; i++)
		if (re->states[in[i]].kind == S_CTX)
			return ctx_byte(re->states[in[i]].set);
	return AT_START;
}

/*
 * Follows the transitions that consume no input from s, within the current
 * generation, at a position between prev and next. States that consume a
 * byte, the match state, and assertions that need the unknown next byte go
 * to out (when given). Returns whether the match state was reached.
 */
static bool closure(struct bs_regex *re, uint32_t s, int prev, int next, uint32_t *out, uint32_t *n_out)
{
	uint32_t top = 0;
	bool matched = false;

	if (re->mark[s] == re->gen)
		return false;
	re->mark[s] = re->gen;
	re->stack[top++] = s;
	while (top > 0) {
		const struct state *st = &re->states[re->stack[--top]];
		uint32_t follow[2], n_follow = 0;
		int holds;

		switch (st->kind) {
		case S_MATCH:
			matched = true;
			if (out)
				out[(*n_out)++] = (uint32_t)(st - re->states);
			break;
		case S_SPLIT:
			follow[n_follow++] = st->alt;
			follow[n_follow++] = st->out;
			break;
		case S_LOOK:
			holds = look_holds(st->set, prev, next);
			if (holds > 0) {
				follow[n_follow++] = st->out;
			} else if (holds < 0 && out) {
				out[(*n_out)++] = (uint32_t)(st - re->states);
				re->deferred = true;
			}
			break;
		case S_CTX:
			break;
		default:
			if (out)
				out[(*n_out)++] = (uint32_t)(st - re->states);
			break;
		}
		for (uint32_t k = 0; k < n_follow; k++) {
			if (re->mark[follow[k]] != re->gen) {
				re->mark[follow[k]] = re->gen;
				re->stack[top++] = follow[k];
			}
		}
	}
	return matched;
}

/* After a closure at a position after prev: the S_CTX state, if one is needed. */
static void add_ctx(struct bs_regex *re, int prev, uint32_t *out, uint32_t *n_out)
{
	/* Without assertions that look at the byte before, all that matters is
	 * whether there is one (\\A after a deferred \\z): fewer DFA states. */
	if (re->deferred)
		out[(*n_out)++] = re->ctx + (re->context || prev == AT_START ? ctx_of_byte(prev) : CTX_OTHER);
	re->deferred = false;
}

/*
 * A deferred assertion now decided to hold, between prev and byte: the
 * states it leads to at this position, then byte consumed from there (into
 * out, in the current generation).
 */
static void resolve(struct bs_regex *re, uint32_t s, int prev, uint8_t byte, uint32_t *out, uint32_t *n_out)
{
	uint32_t top = 0;

	if (++re->gen2 == 0) {
		memset(re->mark2, 0, re->n_states * sizeof(*re->mark2));
		re->gen2 = 1;
	}
	re->mark2[s] = re->gen2;
	re->stack2[top++] = s;
	while (top > 0) {
		const struct state *st = &re->states[re->stack2[--top]];
		uint32_t follow[2], n_follow = 0;

		switch (st->kind) {
		case S_SPLIT:
			follow[n_follow++] = st->alt;
			follow[n_follow++] = st->out;
			break;
		case S_LOOK:
			if (look_holds(st->set, prev, byte) > 0)
				follow[n_follow++] = st->out;
			break;
		case S_BYTES:
			if (bsi_byteset_has(&re->sets[st->set], byte))
				(void)closure(re, st->out, byte, UNKNOWN_NEXT, out, n_out);
			break;
		default:
			break;
		}
		for (uint32_t k = 0; k < n_follow; k++) {
			if (re->mark2[follow[k]] != re->gen2) {
				re->mark2[follow[k]] = re->gen2;
				re->stack2[top++] = follow[k];
			}
		}
	}
}

/* The states after consuming byte from the set in[], into re->next. */
static uint32_t step(struct bs_regex *re, const uint32_t *in, uint32_t n_in, uint8_t byte)
{
	int prev = prev_of(re, in, n_in);
	uint32_t n = 0;

	new_generation(re);
	re->stepped += n_in;
	re->deferred = false;
	for (uint32_t i = 0; i < n_in; i++) {
		const struct state *st = &re->states[in[i]];

		if (st->kind == S_BYTES && bsi_byteset_has(&re->sets[st->set], byte))
			(void)closure(re, st->out, byte, UNKNOWN_NEXT, re->next, &n);
		else if (st->kind == S_LOOK && look_holds(st->set, prev, byte) > 0)
			resolve(re, st->out, prev, byte, re->next, &n);
	}
	add_ctx(re, byte, re->next, &n);
	return n;
}

/* Whether the input may end in this set. */
static bool accepts(struct bs_regex *re, const uint32_t *in, uint32_t n_in)
{
	int prev = prev_of(re, in, n_in);
	bool matched = false;

	new_generation(re);
	for (uint32_t i = 0; i < n_in && !matched; i++) {
		const struct state *st = &re->states[in[i]];

		if (st->kind == S_MATCH)
			matched = true;
		else if (st->kind == S_LOOK && look_holds(st->set, prev, AT_END) > 0)
			matched = closure(re, st->out, prev, AT_END, NULL, NULL);
	}
	return matched;
}

static uint32_t set_hash(const uint32_t *set, uint32_t n)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ set[i]) * 16777619u;
	return h;
}

static size_t dfa_pool_max(const struct bs_regex *re)
{
	return (size_t)re->n_states + 2048;
}

static void dfa_flush(struct dfa *dfa)
{
	dfa->n = 0;
	dfa->pool_len = 0;
	dfa->start = UNKNOWN;
	memset(dfa->table, 0xff, DFA_TABLE_SIZE * sizeof(*dfa->table));
}

/* Takes bytes for the DFA cache from the budget, if there is one. */
static int charge_cache(struct bs_regex *re, size_t bytes)
{
	if (re->budget) {
		if (re->budget->cache_bytes_left < bytes)
			return -ENOMEM;
		re->budget->cache_bytes_left -= bytes;
	}
	re->cache_bytes += bytes;
	return 0;
}

/* Gives back what an allocation that then failed took. */
static void refund_cache(struct bs_regex *re, size_t bytes)
{
	if (re->budget)
		re->budget->cache_bytes_left += bytes;
	re->cache_bytes -= bytes;
}

static int dfa_grow(struct bs_regex *re)
{
	struct dfa *dfa = &re->dfa;
	uint32_t alloc = dfa->alloc ? 2 * dfa->alloc : 16;
	size_t bytes;
	void *p;

	if (alloc > re->dfa_states_max)
		alloc = re->dfa_states_max;
	bytes = (alloc - dfa->alloc) * (re->n_classes * sizeof(*dfa->trans) + sizeof(*dfa->set_start) +
					sizeof(*dfa->set_len) + sizeof(*dfa->accepts));
	if (charge_cache(re, bytes) < 0)
		return -ENOMEM;
	/* A failed realloc leaves the fields grown so far grown, and uncounted:
	 * at most one step's worth, which the next growth counts again. */
#define GROW(field, count)                                              \
	do {                                                            \
		p = realloc(dfa->field, (count) * sizeof(*dfa->field)); \
		if (!p) {                                               \
			refund_cache(re, bytes);                        \
			return -ENOMEM;                                 \
		}                                                       \
		dfa->field = p;                                         \
	} while (0)
	GROW(trans, (size_t)alloc * re->n_classes);
	GROW(set_start, alloc);
	GROW(set_len, alloc);
	GROW(accepts, alloc);
#undef GROW
	dfa->alloc = alloc;
	return 0;
}

/*
 * The DFA state for the set in re->next[0..n) (sorted here), created if
 * new. Returns 1 when the cache was emptied to make room (earlier state
 * numbers are then gone), 0 otherwise, or -ENOMEM.
 */
static int dfa_add(struct bs_regex *re, uint32_t n, int32_t *out)
{
	struct dfa *dfa = &re->dfa;
	uint32_t h, slot, id;
	int flushed = 0;

	if (!dfa->table) {
		_cleanup_free_ int32_t *table = NULL;
		_cleanup_free_ uint32_t *pool = NULL;

		size_t bytes = DFA_TABLE_SIZE * sizeof(*table) + dfa_pool_max(re) * sizeof(*pool);

		if (charge_cache(re, bytes) < 0)
			return -ENOMEM;
		table = malloc(DFA_TABLE_SIZE * sizeof(*table));
		pool = malloc(dfa_pool_max(re) * sizeof(*pool));
		if (!table || !pool) {
			refund_cache(re, bytes);
			return -ENOMEM;
		}
		dfa->table = BS_STEAL(table);
		dfa->pool = BS_STEAL(pool);
		dfa_flush(dfa);
	}
	qsort(re->next, n, sizeof(*re->next), bsi_cmp_u32);
	h = set_hash(re->next, n);
	for (slot = h & (DFA_TABLE_SIZE - 1); dfa->table[slot] >= 0; slot = (slot + 1) & (DFA_TABLE_SIZE - 1)) {
		id = (uint32_t)dfa->table[slot];
		if (dfa->set_len[id] == n &&
		    memcmp(dfa->pool + dfa->set_start[id], re->next, n * sizeof(*re->next)) == 0) {
			*out = (int32_t)id;
			return 0;
		}
	}
	if (dfa->n == re->dfa_states_max || dfa->pool_len + n > dfa_pool_max(re)) {
		dfa_flush(dfa);
		flushed = 1;
		slot = h & (DFA_TABLE_SIZE - 1);
	}
	if (dfa->n == dfa->alloc && dfa_grow(re) < 0)
		return -ENOMEM;
	id = dfa->n++;
	for (unsigned c = 0; c < re->n_classes; c++)
		dfa->trans[(size_t)id * re->n_classes + c] = UNKNOWN;
	dfa->set_start[id] = (uint32_t)dfa->pool_len;
	dfa->set_len[id] = n;
	dfa->accepts[id] = ACCEPT_UNKNOWN;
	memcpy(dfa->pool + dfa->pool_len, re->next, n * sizeof(*re->next));
	dfa->pool_len += n;
	dfa->table[slot] = (int32_t)id;
	*out = (int32_t)id;
	return flushed;
}

/* The state after d on byte; its set stays in re->next (*n) for a caller
 * that has to go on without the cache. */
static int dfa_step(struct bs_regex *re, int32_t d, uint8_t byte, int32_t *out, uint32_t *n)
{
	struct dfa *dfa = &re->dfa;
	size_t slot = (size_t)d * re->n_classes + re->class_of[byte];
	int r;

	*n = step(re, dfa->pool + dfa->set_start[d], dfa->set_len[d], byte);
	if (*n == 0) {
		*out = dfa->trans[slot] = DEAD;
		return 0;
	}
	/* dfa_add may move trans, or empty the cache (d is then gone). */
	r = dfa_add(re, *n, out);
	if (r == 0)
		dfa->trans[slot] = (int16_t)*out;
	return r < 0 ? r : 0;
}

static int match(struct bs_regex *re, const uint8_t *s, size_t len)
{
	struct dfa *dfa = &re->dfa;
	uint32_t n = 0;
	size_t i = 0;
	int32_t d;

	new_generation(re);
	if (len == 0)
		return closure(re, re->entry, AT_START, AT_END, NULL, NULL);
	if (len < re->prefix_len || memcmp(s, re->prefix, re->prefix_len) != 0 || re->n_start == 0)
		return 0;
	i = re->prefix_len;
	if (dfa->start == UNKNOWN) {
		n = re->n_start;
		memcpy(re->next, re->start, n * sizeof(*re->next));
		if (dfa_add(re, n, &d) >= 0)
			dfa->start = d;
	}
	if (dfa->start != UNKNOWN) {
		for (d = dfa->start; i < len; i++) {
			int32_t nd = dfa->trans[(size_t)d * re->n_classes + re->class_of[s[i]]];

			if (nd == UNKNOWN) {
				int32_t stepped;

				if (dfa_step(re, d, s[i], &stepped, &n) < 0) {
					i++;
					goto without_cache;
				}
				nd = stepped;
			}
			if (nd == DEAD)
				return 0;
			d = nd;
		}
		if (dfa->accepts[d] == ACCEPT_UNKNOWN)
			dfa->accepts[d] = accepts(re, dfa->pool + dfa->set_start[d], dfa->set_len[d])
						  ? ACCEPT_YES : ACCEPT_NO;
		return dfa->accepts[d] == ACCEPT_YES;
	}
without_cache:
	/* No memory for the cache: the same steps on the NFA, from re->next. */
	for (; i < len && n > 0; i++) {
		uint32_t *t = re->cur;

		re->cur = re->next;
		re->next = t;
		n = step(re, re->cur, n, s[i]);
	}
	return n > 0 && accepts(re, re->next, n);
}

int bsi_regex_matches(struct bs_regex *re, const uint8_t *s, size_t len)
{
	uint64_t stepped = re->stepped;
	int matched = match(re, s, len);

	if (re->budget)
		re->budget->work += len + (re->stepped - stepped);
	return matched;
}

/*
 * The states s leads to at a position between prev and next, without
 * consuming a byte, appended to list[] in order of preference (a state seen
 * before keeps its earlier place). True when the end of the pattern is
 * reached: the ways after it are then cut, as leftmost-first semantics do.
 */
static bool pike_closure(struct bs_regex *re, uint32_t s, int prev, int next, uint32_t *list, uint32_t *n)
{
	uint32_t top = 0;

	re->stack[top++] = s;
	while (top > 0) {
		uint32_t id = re->stack[--top];
		const struct state *st = &re->states[id];

		if (re->mark[id] == re->gen)
			continue;
		re->mark[id] = re->gen;
		re->stepped++;
		if (id == re->pattern_end)
			return true;
		switch (st->kind) {
		case S_SPLIT:
			re->stack[top++] = st->alt;
			re->stack[top++] = st->out;
			break;
		case S_LOOK:
			if (look_holds(st->set, prev, next) > 0)
				re->stack[top++] = st->out;
			break;
		case S_BYTES:
			list[(*n)++] = id;
			break;
		default:
			break;
		}
	}
	return false;
}

/*
 * A Pike VM: threads in order of preference, each state at most once per
 * position. The closure's stack holds fewer entries than there are states:
 * each state is expanded once per generation, and only a split leaves more
 * on it than it took.
 */
long bsi_regex_first_end(struct bs_regex *re, const uint8_t *s, size_t len)
{
	uint64_t stepped = re->stepped;
	uint32_t n_cur = 0, n_next;
	long end = -1;

	new_generation(re);
	if (pike_closure(re, re->entry, AT_START, len ? s[0] : AT_END, re->cur, &n_cur))
		end = 0;
	for (size_t i = 0; i < len && n_cur > 0; i++) {
		int after = i + 1 < len ? s[i + 1] : AT_END;
		uint32_t *t;

		new_generation(re);
		n_next = 0;
		for (uint32_t k = 0; k < n_cur; k++) {
			const struct state *st = &re->states[re->cur[k]];

			if (!bsi_byteset_has(&re->sets[st->set], s[i]))
				continue;
			if (pike_closure(re, st->out, s[i], after, re->next, &n_next)) {
				end = (long)(i + 1);
				break;
			}
		}
		t = re->cur;
		re->cur = re->next;
		re->next = t;
		n_cur = n_next;
	}
	if (re->budget)
		re->budget->work += len + (re->stepped - stepped);
	return end;
}

int bsi_regex_share_budget(struct bs_regex *re, struct bs_regex_budget *budget)
{
	if (budget->nfa_bytes_left < re->nfa_bytes || budget->cache_bytes_left < re->cache_bytes)
		return -E2BIG;
	budget->nfa_bytes_left -= re->nfa_bytes;
	budget->cache_bytes_left -= re->cache_bytes;
	re->budget = budget;
	return 0;
}

/*
 * Bytes no pattern set tells apart share a class, so a DFA state has one
 * transition per class instead of 256.
 */
static void byte_classes(struct bs_regex *re, uint32_t n_sets, bool context)
{
	/* What assertions tell apart of the bytes around them. */
	static const struct bs_byteset word = { { UINT64_C(0x03ff000000000000), UINT64_C(0x07fffffe87fffffe), 0, 0 } };
	static const struct bs_byteset lf = { { UINT64_C(1) << '\n', 0, 0, 0 } };
	static const struct bs_byteset cr = { { UINT64_C(1) << '\r', 0, 0, 0 } };
	static const struct bs_byteset nul = { { 1, 0, 0, 0 } };
	const struct bs_byteset *extra[] = { &word, &lf, &cr, &nul };
	struct bs_byteset bound = { { 0 } };
	unsigned c = 0;

	for (uint32_t k = 0; k < n_sets + (context ? BS_ARRAY_SIZE(extra) : 0); k++) {
		const struct bs_byteset *s = k < n_sets ? &re->sets[k] : extra[k - n_sets];

		for (int i = 0; i < 4; i++)
			bound.w[i] |= s->w[i] ^ (s->w[i] << 1 | (i ? s->w[i - 1] >> 63 : 0));
	}
	for (unsigned b = 0; b < 256; b++) {
		if (b > 0 && bsi_byteset_has(&bound, (uint8_t)b))
			c++;
		re->class_of[b] = (uint8_t)c;
	}
	re->n_classes = c + 1;
}

void bsi_regex_free(struct bs_regex *re)
{
	if (!re)
		return;
	if (re->budget) {
		re->budget->nfa_bytes_left += re->nfa_bytes;
		re->budget->cache_bytes_left += re->cache_bytes;
	}
	free(re->states);
	free(re->sets);
	free(re->mark);
	free(re->mark2);
	free(re->stack2);
	free(re->stack);
	free(re->cur);
	free(re->next);
	free(re->start);
	free(re->dfa.trans);
	free(re->dfa.set_start);
	free(re->dfa.set_len);
	free(re->dfa.accepts);
	free(re->dfa.pool);
	free(re->dfa.table);
	free(re);
}

static bool singleton(const struct bs_byteset *s, uint8_t *byte)
{
	int bits = 0;

	for (int i = 0; i < 4; i++)
		bits += __builtin_popcountll(s->w[i]);
	for (unsigned b = 0; bits == 1 && b < 256; b++)
		if (bsi_byteset_has(s, (uint8_t)b))
			*byte = (uint8_t)b;
	return bits == 1;
}

/* The literal prefix, and the states after it (at the start for none). */
static int find_prefix(struct bs_regex *re)
{
	uint32_t n = 0;

	new_generation(re);
	re->deferred = false;
	(void)closure(re, re->entry, AT_START, UNKNOWN_NEXT, re->next, &n);
	add_ctx(re, AT_START, re->next, &n);
	while (re->prefix_len < PREFIX_MAX && n == 1 && re->states[re->next[0]].kind == S_BYTES &&
	       singleton(&re->sets[re->states[re->next[0]].set], &re->prefix[re->prefix_len])) {
		uint32_t *t = re->cur;

		re->cur = re->next;
		re->next = t;
		n = step(re, re->cur, 1, re->prefix[re->prefix_len++]);
	}
	re->start = malloc((n ? n : 1) * sizeof(*re->start));
	if (!re->start)
		return -ENOMEM;
	memcpy(re->start, re->next, n * sizeof(*re->start));
	re->n_start = n;
	return 0;
}

/* Whether an assertion needs to know more of the bytes around it than \\A and \\z do. */
static bool needs_context(const struct bs_regex_tree *t)
{
	for (uint32_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].kind == RE_LOOK && t->nodes[i].look != LOOK_START && t->nodes[i].look != LOOK_END)
			return true;
	return false;
}

/*
 * Whether target follows from s through states that consume nothing, any
 * assertion taken as holding: regex-automata's NFA has_empty.
 */
static bool reaches_without_bytes(struct bs_regex *re, uint32_t s, uint32_t target)
{
	uint32_t top = 0;

	new_generation(re);
	re->mark[s] = re->gen;
	re->stack[top++] = s;
	while (top > 0) {
		const struct state *st = &re->states[re->stack[--top]];
		uint32_t follow[2], n_follow = 0;

		if ((uint32_t)(st - re->states) == target)
			return true;
		if (st->kind == S_SPLIT) {
			follow[n_follow++] = st->alt;
			follow[n_follow++] = st->out;
		} else if (st->kind == S_LOOK) {
			follow[n_follow++] = st->out;
		}
		for (uint32_t k = 0; k < n_follow; k++) {
			if (re->mark[follow[k]] != re->gen) {
				re->mark[follow[k]] = re->gen;
				re->stack[top++] = follow[k];
			}
		}
	}
	return false;
}

static int build(struct bs_regex_tree *t, uint32_t n_states, bool any_end, struct bs_regex **out)
{
	struct bs_regex *re = calloc(1, sizeof(*re));
	struct bs_byteset *sets;
	uint32_t loop;

	if (!re)
		return -ENOMEM;
	n_states += N_CTX + 2;
	re->states = malloc(n_states * sizeof(*re->states));
	re->mark = calloc(n_states, sizeof(*re->mark));
	re->mark2 = calloc(n_states, sizeof(*re->mark2));
	re->stack = malloc(n_states * sizeof(*re->stack));
	re->stack2 = malloc(n_states * sizeof(*re->stack2));
	re->cur = malloc(n_states * sizeof(*re->cur));
	re->next = malloc(n_states * sizeof(*re->next));
	sets = realloc(t->sets, (t->n_sets + 1) * sizeof(*sets));
	if (!re->states || !re->mark || !re->mark2 || !re->stack || !re->stack2 || !re->cur || !re->next ||
	    !sets) {
		bsi_regex_free(re);
		return -ENOMEM;
	}
	t->sets = NULL;
	re->sets = sets;
	memset(&re->sets[t->n_sets], 0xff, sizeof(*re->sets));
	re->any_end = any_end;
	re->ctx = re->n_states;
	for (unsigned c = 0; c < N_CTX; c++)
		re->states[add_state(re, S_CTX, RE_NONE, RE_NONE)].set = c;
	re->match = add_state(re, S_MATCH, RE_NONE, RE_NONE);
	loop = re->match;
	if (any_end) {
		/* Anything may follow the match: the pattern, then any bytes. */
		loop = add_state(re, S_SPLIT, RE_NONE, re->match);
		re->states[loop].out = add_state(re, S_BYTES, loop, RE_NONE);
		re->states[re->states[loop].out].set = t->n_sets;
	}
	re->pattern_end = loop;
	re->entry = compile(re, t, t->root, loop);
	re->context = needs_context(t);
	re->may_be_empty = reaches_without_bytes(re, re->entry, loop);
	byte_classes(re, t->n_sets, re->context);
	re->dfa_states_max = DFA_TRANS_MAX / re->n_classes;
	if (re->dfa_states_max > DFA_STATES_MAX)
		re->dfa_states_max = DFA_STATES_MAX;
	re->dfa.start = UNKNOWN;
	if (find_prefix(re) < 0) {
		bsi_regex_free(re);
		return -ENOMEM;
	}
	re->nfa_bytes = sizeof(*re) + t->n_sets * sizeof(*re->sets) + re->n_start * sizeof(*re->start) +
			n_states * (sizeof(*re->states) + 2 * sizeof(*re->mark) + 2 * sizeof(*re->stack) +
				    sizeof(*re->cur) + sizeof(*re->next));
	*out = re;
	return 0;
}

static int regex_new(const char *pattern, bool any_end, struct bs_regex **out)
{
	struct bs_regex_tree t = { 0 };
	uint64_t cost;
	int r;

	*out = NULL;
	r = bsi_regex_parse(pattern, &t);
	if (r < 0)
		return r;
	cost = node_cost(&t, t.root) + 1;
	r = cost > STATES_MAX ? -E2BIG : build(&t, (uint32_t)cost, any_end, out);
	bsi_regex_tree_clear(&t);
	return r;
}

int bsi_regex_new(const char *pattern, struct bs_regex **out)
{
	return regex_new(pattern, false, out);
}

int bsi_regex_new_prefix(const char *pattern, struct bs_regex **out)
{
	return regex_new(pattern, true, out);
}

bool bsi_regex_may_be_empty(const struct bs_regex *re)
{
	return re->may_be_empty;
}
