#!/bin/bash
# Integration: real threaded programs (their own locks, queues and thread pools) print the same
# in the sandbox as natively. The suite does not depend on them: a runtime the host lacks is
# skipped.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

PY='
import os, queue, threading
from concurrent.futures import ThreadPoolExecutor

total = 0
lock = threading.Lock()
def add():
    global total
    for _ in range(20000):
        with lock:
            total += 1
ts = [threading.Thread(target=add) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("lock_counter", total)

q = queue.Queue()
def produce():
    for i in range(200): q.put(i)
    q.put(None)
threading.Thread(target=produce).start()
s = 0
while (x := q.get()) is not None: s += x
print("queue_sum", s)

with ThreadPoolExecutor(max_workers=3) as ex:
    print("pool_map", sum(ex.map(lambda n: n * n, range(100))))

ids = {}
ev = threading.Event()
def who(i):
    ids[i] = (os.getpid(), threading.get_native_id())
    ev.wait()
ws = [threading.Thread(target=who, args=(i,)) for i in range(3)]
for w in ws: w.start()
ev.set()
for w in ws: w.join()
print("same_pid", all(p == os.getpid() for p, _ in ids.values()))
print("distinct_tids", len({t for _, t in ids.values()} | {threading.get_native_id()}) == 4)
print("threads_left", threading.active_count())
'

if command -v python3 >/dev/null; then
	t_compare threads/python_threading -- python3 -c "$PY"
elif t_selected threads/python_threading; then
	t_skip threads/python_threading "no python3 on the host"
fi

JS='
const { Worker } = require("worker_threads");
const code = "const { parentPort, workerData } = require(\"worker_threads\");" +
	"let s = 0; for (let i = 0; i < 1e6; i++) s += i % workerData; parentPort.postMessage(s);";
Promise.all([3, 5, 7].map(n => new Promise(ok =>
	new Worker(code, { eval: true, workerData: n }).on("message", ok))))
	.then(r => console.log("worker_sums", r.join(" ")));
'
if command -v node >/dev/null; then
	t_compare threads/node_workers -- node -e "$JS"
elif t_selected threads/node_workers; then
	t_skip threads/node_workers "no node on the host"
fi
exit 0
