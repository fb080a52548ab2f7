/** A binary min-heap of items keyed by time; ties keep insertion order, so runs are reproducible. */
export class MinHeap<T> {
  private items: { at: number; n: number; value: T }[] = [];
  private counter = 0;

  get size(): number { return this.items.length; }

  peekTime(): number | undefined { return this.items[0]?.at; }

  push(at: number, value: T): void {
    const a = this.items;
    const item = { at, n: this.counter++, value };
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, a[p])) break;
      a[i] = a[p]; a[p] = item; i = p;
    }
  }

  pop(): [number, T] | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]]; i = m;
      }
    }
    return [top.at, top.value];
  }
}

const before = (x: { at: number; n: number }, y: { at: number; n: number }) => x.at < y.at || (x.at === y.at && x.n < y.n);
