package dev.stride.decoder.engine;

import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.TreeVerifier;
import dev.stride.decoder.mtp.Verdict;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * Continuous batching: requests are submitted at any time, each {@link #step()} runs one forward pass over every
 * sequence in flight (prefills and tree verifications side by side, a ragged batch), and finished sequences are
 * collected with {@link #drainFinished()} while queued ones take their place. Plain decoding is the special case of
 * a tree that holds only its root. Not thread-safe: one decoder per thread.
 */
public final class BatchDecoder implements AutoCloseable {

    /** How long a step waits when no request can be admitted for memory: about a small model's pass. */
    static final long WAIT_FOR_MEMORY_NANOS = 1_000_000;
    /**
     * Most prompt rows one pass carries; longer prompts, and prompts admitted together, are prefilled over several
     * passes (a row's result depends on its own token, position and cached keys only, so the bits are the same).
     * A pass's activations grow with its rows, about 280 KB a row for an 8B model: whole prompts took gigabytes that
     * no budget bounded, and two 30,000-token prompts overflowed the int size of a 32k model's gate/up buffer.
     */
    static final int MAX_PREFILL_ROWS = 512;
    /**
     * Most logits (floats, 256 MiB) one pass computes. A pass holds a row of logits for every tree node of every
     * sequence: over Gemma 3's 262,144 tokens, 128 sequences of nodes:64 overflowed the int size of the logits and
     * failed every request in flight. Sequences beyond it wait for a later pass; trees beyond it are cut.
     */
    static final int MAX_PASS_LOGITS = 1 << 26;

    private final ForwardBackend transformer;
    private final KvCacheBudget budget;
    private final Drafter drafter; // null for plain decoding
    private final Set<Integer> eosIds;
    private final TextStream.Factory text;
    private final int maxBatch;
    private final int logitRows; // most logit rows a pass holds, MAX_PASS_LOGITS' worth
    private final int contextLength;
    private final int hiddenSize;
    private final CoupledSampler sampler;
    private final LogprobCalculator logprobs;
    private final PassBatch batch = new PassBatch();
    private final PassOutput out;
    private final Verdict verdict = new Verdict();
    private final ArrayDeque<GenerationRequest> queue = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final List<GenerationResult> finished = new ArrayList<>();
    // Drafting inputs, one slot per sequence in flight, reused every step. Grown to the sequences drafting, not sized
    // by maxBatch: that is a bound (2^31 - 1 would overflow the hidden states' size), not what runs.
    private final List<Sequence> drafting = new ArrayList<>();
    private float[] draftHidden = new float[0];
    private int[] draftDepth = new int[0];
    private DraftState[] draftStates = new DraftState[0];
    private DraftTree[] draftTrees = new DraftTree[0];
    private long lastDraftNanos = -1; // time the last drafting took, while its trees await their pass
    private int stepTokens; // tokens the sequences' verifications yielded this step
    private int decodingSequences; // sequences whose trees this step's pass carries
    private int treeRows; // the rows of those trees
    private final PassLedger ledger = new PassLedger();
    private int[] pathScratch = new int[8];
    private int[] slotScratch = new int[8];
    private boolean closed;

    BatchDecoder(ForwardBackend transformer, KvCacheBudget budget, Drafter drafter, Set<Integer> eosIds,
                 TextStream.Factory text, int maxBatch) {
        this.transformer = transformer;
        this.budget = budget;
        this.drafter = drafter;
        this.eosIds = Set.copyOf(eosIds);
        this.text = text;
        this.logitRows = Math.max(1, MAX_PASS_LOGITS / transformer.config().vocabSize());
        this.maxBatch = Math.min(maxBatch, logitRows);
        this.contextLength = transformer.config().maxPositions();
        this.hiddenSize = transformer.config().hiddenSize();
        this.sampler = new CoupledSampler(transformer.config().vocabSize());
        this.logprobs = new LogprobCalculator(transformer.config().vocabSize());
        this.out = transformer.newOutput();
    }

    public int capacity() {
        return maxBatch;
    }

    /** Sequences running or waiting for admission. */
    public int inFlight() {
        return running.size() + queue.size();
    }

    public boolean hasWork() {
        return inFlight() > 0;
    }

    /** Queues a request. Problems with the request itself come back as a failed result, never as an exception. */
    public void submit(GenerationRequest request) {
        checkOpen();
        String problem = validate(request);
        if (problem != null) {
            finished.add(GenerationResult.failed(request.id(), request.promptIds().length, problem));
        } else {
            queue.add(request);
        }
    }

    private String validate(GenerationRequest request) {
        int promptLength = request.promptIds().length;
        if (promptLength >= contextLength) {
            return "prompt_too_long: prompt has " + promptLength + " tokens; the model's context holds "
                    + contextLength + " and at least one must be left to generate";
        }
        int vocab = transformer.config().vocabSize();
        for (int id : request.promptIds()) {
            if (id < 0 || id >= vocab) {
                return "invalid_token: prompt token id " + id + " is outside the vocabulary [0, " + vocab + ")";
            }
        }
        if (!budget.fitsAlone(slotsFor(request))) {
            return "kv_cache_budget: request needs " + budget.bytesFor(slotsFor(request))
                    + " bytes of KV cache; the budget is " + budget.budgetBytes() + " bytes";
        }
        return null;
    }

    /**
     * KV slots a request reserves: every token but the last (which no pass runs), and past them the largest tree's
     * nodes but its root (the pending token, in the slot it is committed to), or none where only the tokens fit in
     * the whole budget. Such a request is decoded plainly (the same tokens, one a pass) rather than refused:
     * multi-token decoding never fails a request that plain decoding can do.
     */
    private int slotsFor(GenerationRequest request) {
        return tokensOf(request) - 1 + (drafts(request) ? drafter.maxTreeNodes() - 1 : 0);
    }

    /** Whether the drafter proposes trees for this request: see {@link #slotsFor}. */
    private boolean drafts(GenerationRequest request) {
        // In long: nodes:N takes any positive int, and an int sum wrapped to a negative cache size.
        return drafter != null && budget.fitsAlone(tokensOf(request) - 1L + drafter.maxTreeNodes() - 1);
    }

    /** Prompt and new tokens, at most the context. */
    private int tokensOf(GenerationRequest request) {
        // In long: max_new_tokens may be Integer.MAX_VALUE ("until the context ends"), which an int sum would wrap.
        return (int) Math.min(contextLength, (long) request.promptIds().length + request.maxNewTokens());
    }

    /**
     * Runs one forward pass over everything in flight (admitting queued requests first). Where every queued request
     * waits for KV memory that other decoders of the engine hold, it waits {@link #WAIT_FOR_MEMORY_NANOS} instead:
     * callers loop on step(), and a spinning thread took a core from the decoders it waits for.
     *
     * @throws IllegalStateException when the thread is interrupted while it waits for memory (the interrupt stays
     *     set): parking returns at once for an interrupted thread, so the wait went on as a spin, the interrupt unseen
     */
    public void step() {
        checkOpen();
        long start = System.nanoTime();
        admit();
        if (running.isEmpty()) {
            if (!queue.isEmpty()) {
                LockSupport.parkNanos(WAIT_FOR_MEMORY_NANOS);
                if (Thread.currentThread().isInterrupted()) {
                    throw new IllegalStateException("interrupted while " + queue.size() + " requests waited for KV"
                            + " cache memory that other decoders of the engine hold");
                }
            }
            return;
        }
        boolean onlyTrees = buildPass();
        transformer.forward(batch, out);
        stepTokens = 0;
        drafting.clear();
        for (Iterator<Sequence> it = running.iterator(); it.hasNext(); ) {
            Sequence seq = it.next();
            if (!seq.prefilled && seq.passPromptRows == 0) {
                continue; // the pass had no prompt rows left for it
            }
            seq.forwardPasses++;
            if (!seq.prefilled && seq.promptCached + seq.passPromptRows < seq.promptLength()) {
                seq.promptCached += seq.passPromptRows;
                continue; // the rest of its prompt goes in the next passes
            }
            boolean done = seq.prefilled ? afterDecode(seq) : afterPrefill(seq);
            if (done) {
                it.remove(); // first: should finishing fail, close() must not release its cache a second time
                finish(seq);
            } else if (seq.drafts) {
                drafting.add(seq);
            } else {
                seq.tree.reset(seq.pendingToken);
            }
        }
        if (decodingSequences > 0) {
            ledger.record(decodingSequences, treeRows, stepTokens);
        }
        long verified = System.nanoTime();
        if (onlyTrees && lastDraftNanos >= 0) {
            drafter.cycleTook((lastDraftNanos + verified - start) / 1e9, stepTokens);
        }
        lastDraftNanos = -1;
        if (!drafting.isEmpty()) {
            draft();
            lastDraftNanos = System.nanoTime() - verified;
        }
    }

    private void admit() {
        while (running.size() < maxBatch && !queue.isEmpty()) {
            GenerationRequest request = queue.peek();
            var cache = budget.tryAllocate(slotsFor(request), this);
            if (cache == null) {
                return; // in the budget's line, until sequences (this decoder's or others') release memory
            }
            queue.poll();
            int heads = drafter == null ? 0 : drafter.maxTokensPerPass() - 1;
            StopRules rules = new StopRules(eosOf(request), request.stopStrings(), request.maxNewTokens(), contextLength,
                    text.open(request.promptIds()));
            boolean drafts = drafts(request);
            DraftState state = drafts ? drafter.newState() : null;
            running.add(new Sequence(request, rules, cache, drafts, state, heads + 1, heads));
        }
    }

    private Set<Integer> eosOf(GenerationRequest request) {
        return request.ignoreEos() ? Set.of() : eosIds;
    }

    /** Whether the pass carries only decode trees (no prefill), so that its time is a drafting cycle's. */
    private boolean buildPass() {
        batch.clear();
        int logitRow = 0;
        boolean onlyTrees = true;
        decodingSequences = 0;
        treeRows = 0;
        int promptRows = 0;
        cutTreesToFit();
        for (Sequence seq : running) {
            seq.passRow = batch.size();
            seq.passLogitRow = logitRow;
            if (!seq.prefilled) {
                int[] prompt = seq.request.promptIds();
                int from = seq.promptCached;
                seq.passPromptRows = Math.min(prompt.length - from, MAX_PREFILL_ROWS - promptRows);
                promptRows += seq.passPromptRows;
                onlyTrees &= seq.passPromptRows == 0;
                for (int i = from; i < from + seq.passPromptRows; i++) {
                    batch.addCausal(seq.cache, prompt[i], i, i == prompt.length - 1);
                }
                if (from + seq.passPromptRows == prompt.length) {
                    logitRow++;
                }
            } else {
                addTreeRows(seq);
                logitRow += seq.tree.size();
                decodingSequences++;
                treeRows += seq.tree.size();
            }
        }
        return onlyTrees;
    }

    /**
     * Cuts the decoding sequences' trees to one common size, the largest at which the pass's logit rows (a node's
     * each, and one for every prompt in the pass) stay within {@link #MAX_PASS_LOGITS}. A tree keeps its first nodes:
     * parents come first, so they are a tree, and a nodes:N tree's first nodes are its most likely. The tokens are
     * the same; fewer guesses are checked. Each root fits: {@link #maxBatch} sequences hold at most that many rows.
     */
    private void cutTreesToFit() {
        int room = logitRows;
        int largest = 0;
        long nodes = 0;
        for (Sequence seq : running) {
            if (seq.prefilled) {
                largest = Math.max(largest, seq.tree.size());
                nodes += seq.tree.size();
            } else {
                room--;
            }
        }
        if (nodes <= room) {
            return;
        }
        int fits = 1;
        for (int tooMany = largest; tooMany - fits > 1; ) {
            int size = (fits + tooMany) >>> 1;
            if (nodesCutTo(size) <= room) {
                fits = size;
            } else {
                tooMany = size;
            }
        }
        for (Sequence seq : running) {
            if (seq.prefilled) {
                seq.tree.keepFirst(fits);
            }
        }
    }

    private long nodesCutTo(int size) {
        long nodes = 0;
        for (Sequence seq : running) {
            if (seq.prefilled) {
                nodes += Math.min(size, seq.tree.size());
            }
        }
        return nodes;
    }

    /**
     * Tree node i goes to scratch slot length + i and sees the prefix, then its ancestors and itself. The root (the
     * pending token) sits at slot length, right after the prefix, and is on every node's path, so it joins the
     * prefix: a root-only tree is a plain decoding row, and every other node attends to one extra slot fewer (an
     * extra slot costs a whole key block's scores; by design an extra's score is the bits it gets as a prefix slot).
     */
    private void addTreeRows(Sequence seq) {
        DraftTree tree = seq.tree;
        if (pathScratch.length < tree.maxDepth() + 1) {
            pathScratch = new int[tree.maxDepth() + 1];
            slotScratch = new int[tree.maxDepth() + 1];
        }
        for (int node = 0; node < tree.size(); node++) {
            int pathLength = tree.pathTo(node, pathScratch);
            for (int i = 1; i < pathLength; i++) {
                slotScratch[i - 1] = seq.length + pathScratch[i];
            }
            batch.add(seq.cache, tree.token(node), seq.length + tree.depth(node), seq.length + node, seq.length + 1,
                    slotScratch, pathLength - 1, true);
        }
    }

    private boolean afterPrefill(Sequence seq) {
        seq.prefilled = true;
        seq.length = seq.promptLength();
        int token = sampler.choose(out.logits(), out.logitsOffset(seq.passLogitRow), seq.request.sampling(),
                seq.length);
        seq.pendingToken = token;
        seq.passRow += seq.passPromptRows - 1; // the row whose hidden state drafts the next tree
        return seq.append(token, eosOf(seq.request).contains(token), () -> logprobOf(seq, token, seq.passLogitRow));
    }

    private boolean afterDecode(Sequence seq) {
        DraftTree tree = seq.tree;
        SamplingParams params = seq.request.sampling();
        TreeVerifier.verify(tree, seq.length, (node, position) ->
                sampler.choose(out.logits(), out.logitsOffset(seq.passLogitRow + node), params, position), verdict);
        seq.decodePasses++;
        seq.treeNodes += tree.size();
        int acceptedDepth = verdict.pathLength() - 1;
        for (int k = 0; k < acceptedDepth && k < seq.headAccepted.length; k++) {
            seq.headAccepted[k]++;
        }
        if (seq.draftState != null) {
            seq.draftState.record(acceptedDepth, tree.maxDepth());
            drafter.verified(acceptedDepth, tree.maxDepth());
        }
        int yielded = 0;
        boolean done = false;
        for (int i = 0; i < verdict.producedCount() && !done; i++) {
            int token = verdict.producedToken(i);
            int logitRow = seq.passLogitRow + verdict.pathNode(i); // token i was chosen from path node i's logits
            yielded++;
            done = seq.append(token, eosOf(seq.request).contains(token), () -> logprobOf(seq, token, logitRow));
        }
        seq.decodeTokens += yielded;
        stepTokens += yielded;
        seq.acceptHistogram[yielded - 1]++;
        if (done) {
            return true;
        }
        for (int d = 1; d < verdict.pathLength(); d++) {
            seq.cache.moveSlot(seq.length + verdict.pathNode(d), seq.length + d);
        }
        seq.length += verdict.pathLength();
        seq.pendingToken = verdict.producedToken(verdict.producedCount() - 1);
        seq.passRow += verdict.lastNode();
        return false;
    }

    private TokenLogprob logprobOf(Sequence seq, int token, int logitRow) {
        return logprobs.of(out.logits(), out.logitsOffset(logitRow), token, seq.request.logprobs());
    }

    private void draft() {
        int n = drafting.size();
        if (draftDepth.length < n) {
            draftHidden = new float[n * hiddenSize];
            draftDepth = new int[n];
            draftStates = new DraftState[n];
            draftTrees = new DraftTree[n];
        }
        for (int i = 0; i < n; i++) {
            Sequence seq = drafting.get(i);
            System.arraycopy(out.hidden(), out.hiddenOffset(seq.passRow), draftHidden, i * hiddenSize, hiddenSize);
            int tokensLeft = seq.request.maxNewTokens() - seq.generated;
            int positionsLeft = contextLength - (seq.promptLength() + seq.generated);
            draftDepth[i] = Math.max(0, Math.min(tokensLeft, positionsLeft) - 1);
            draftStates[i] = seq.draftState;
            draftTrees[i] = seq.tree;
            seq.tree.reset(seq.pendingToken);
        }
        drafter.draft(draftHidden, n, draftDepth, draftStates, draftTrees);
    }

    private void finish(Sequence seq) {
        budget.release(seq.cache);
        int[] ids = seq.completionIds();
        String completion = text.decode(ids);
        if (seq.finishReason == FinishReason.STOP) {
            completion = cutAtFirstStop(completion, seq.request.stopStrings(),
                    seq.stopRules.streamedText().substring(0, seq.stopRules.stopIndex()));
        }
        finished.add(new GenerationResult(seq.request.id(), ids, completion, seq.finishReason, seq.promptLength(),
                seq.forwardPasses, seq.decodePasses, seq.decodeTokens, seq.acceptHistogram.clone(),
                seq.headAccepted.clone(), seq.treeNodes, System.nanoTime() - seq.startNanos,
                seq.logprobs == null ? null : List.copyOf(seq.logprobs), null));
    }

    /**
     * The completion's whole decode up to its first stop string: the text of the same ids whatever ended them (a
     * decoder that strips the text's leading space streams " Hello" but decodes "Hello"); the streamed text's cut
     * where the whole decode does not hold the stop string.
     */
    private static String cutAtFirstStop(String whole, List<String> stops, String streamedCut) {
        int first = -1;
        for (String stop : stops) {
            int at = whole.indexOf(stop);
            first = at >= 0 && (first < 0 || at < first) ? at : first;
        }
        return first >= 0 ? whole.substring(0, first) : streamedCut;
    }

    /** Results finished since the last call, in the order they finished. */
    public List<GenerationResult> drainFinished() {
        List<GenerationResult> out = new ArrayList<>(finished);
        finished.clear();
        return out;
    }

    /** The decode passes this decoder ran so far, by size (a live view: it grows with every step). */
    public PassLedger passLedger() {
        return ledger;
    }

    /** Runs until everything submitted is finished; returns the results in submission order of completion. */
    public List<GenerationResult> runToCompletion() {
        checkOpen();
        List<GenerationResult> all = new ArrayList<>();
        while (hasWork()) {
            step();
            all.addAll(drainFinished());
        }
        all.addAll(drainFinished());
        return all;
    }

    /**
     * Closed, a decoder refuses work: a request submitted after close held its KV cache for good (nothing closes the
     * decoder again), and one that close dropped was silently gone from runToCompletion's results.
     */
    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the decoder is closed; its unfinished requests were dropped");
        }
    }

    /** Releases the caches of unfinished sequences and frees the budget's idle caches. */
    @Override
    public void close() {
        closed = true;
        for (Sequence seq : running) {
            budget.release(seq.cache);
        }
        running.clear();
        queue.clear();
        budget.withdraw(this); // else the room kept for its queue's head stayed kept from the other decoders for good
        budget.dropIdle();
    }
}
