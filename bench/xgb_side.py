#!/usr/bin/env python3
"""XGBoost's side of bench/compare-rankers.sh.

Trains and times XGBoost with the settings the comparison fixes, writes its predictions so the
C# side scores both with one NDCG implementation, and times its predictor. Prints nothing but
progress to stderr; results go to --out as JSON.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb


def load(path):
    data = xgb.DMatrix(path + "?format=libsvm", silent=True)
    data.set_group(np.loadtxt(path + ".query", dtype=np.int64, ndmin=1))
    return data


def params(seed, l2, threads):
    # The comparison's fixed settings; max_depth=0 lets lossguide grow to max_leaves.
    return {
        "objective": "rank:ndcg",
        "tree_method": "hist",
        "eta": 0.1,
        "max_leaves": 31,
        "grow_policy": "lossguide",
        "max_depth": 0,
        "min_child_weight": 5,
        "subsample": 0.9,
        "max_bin": 255,
        "nthread": threads,
        "lambda": l2,
        "eval_metric": "ndcg@10",
        "seed": seed,
    }


class Clock(xgb.callback.TrainingCallback):
    """Records the seconds elapsed when given rounds finish."""

    def __init__(self, marks):
        super().__init__()
        self.marks = set(marks)
        self.start = time.perf_counter()
        self.at = {}

    def after_iteration(self, model, epoch, evals_log):
        if epoch + 1 in self.marks:
            self.at[epoch + 1] = time.perf_counter() - self.start
        return False


def leaf_depths(booster):
    """Per tree, a map from leaf node id to its depth (= internal nodes visited to reach it)."""
    result = []
    for dump in booster.get_dump(dump_format="json"):
        depths = {}
        stack = [(json.loads(dump), 0)]
        while stack:
            node, depth = stack.pop()
            if "leaf" in node:
                depths[node["nodeid"]] = depth
            else:
                for child in node["children"]:
                    stack.append((child, depth + 1))
        result.append(depths)
    return result


def best_time(fn, min_seconds=1.0, repeats=5):
    """Best per-call time over several timed batches of calls."""
    fn()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds / repeats:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ltr", required=True, help="directory with rank.train/rank.test and .query files")
    parser.add_argument("--synth", required=True, help="directory with synth.train/synth.test and candidates")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {"xgboost_version": xgb.__version__}

    train = load(os.path.join(args.ltr, "rank.train"))
    test = load(os.path.join(args.ltr, "rank.test"))
    xgb.train(params(99, args.l2, args.threads), train, 100)  # warm-up, untimed (as on our side)
    seconds = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        booster = xgb.train(params(seed, args.l2, args.threads), train, 100, evals=[(test, "test")], verbose_eval=False)
        seconds.append(time.perf_counter() - start)
        np.savetxt(os.path.join(args.out, f"xgb-ltr-seed{seed}.txt"), booster.predict(test), fmt="%.9g")
        print(f"xgboost ltr-example seed {seed}: {seconds[-1]:.2f}s", file=sys.stderr)
    results["ltr_train_seconds"] = seconds

    train = load(os.path.join(args.synth, "synth.train"))
    test = load(os.path.join(args.synth, "synth.test"))
    clock = Clock([100, 300])
    booster = xgb.train(params(0, args.l2, args.threads), train, 300, evals=[(test, "test")], verbose_eval=False, callbacks=[clock])
    results["synth_train_seconds_100"] = clock.at[100]
    results["synth_train_seconds_300"] = clock.at[300]
    np.savetxt(os.path.join(args.out, "xgb-synth-100.txt"), booster.predict(test, iteration_range=(0, 100)), fmt="%.9g")
    print(f"xgboost synthetic: 100 trees {clock.at[100]:.2f}s, 300 trees {clock.at[300]:.2f}s", file=sys.stderr)

    with open(os.path.join(args.synth, "synth.candidates.json"), encoding="utf-8") as meta_file:
        meta = json.load(meta_file)
    candidates = np.fromfile(os.path.join(args.synth, "synth.candidates.f32"), dtype="<f4").reshape(meta["rows"], meta["features"])
    booster.set_param({"nthread": 1})
    inplace = best_time(lambda: booster.inplace_predict(candidates))
    # predict() caches results per DMatrix, so each call gets a fresh one (its build is timed too).
    dmatrix = best_time(lambda: booster.predict(xgb.DMatrix(candidates, nthread=1)))
    matrix = xgb.DMatrix(candidates, nthread=1)
    depths = leaf_depths(booster)
    leaves = booster.predict(matrix, pred_leaf=True).astype(np.int64)
    visits = sum(depths[t][int(leaf)] for t in range(leaves.shape[1]) for leaf in leaves[:, t])
    results["score_rows"] = int(meta["rows"])
    results["score_trees"] = len(depths)
    results["score_seconds_inplace"] = inplace
    results["score_seconds_dmatrix"] = dmatrix
    results["score_node_visits"] = int(visits)
    print(f"xgboost scoring: inplace {inplace * 1e3:.2f} ms, DMatrix {dmatrix * 1e3:.2f} ms for {meta['rows']} rows", file=sys.stderr)

    with open(os.path.join(args.out, "xgb.json"), "w", encoding="utf-8") as out:
        json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
