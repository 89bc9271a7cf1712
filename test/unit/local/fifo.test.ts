import { Fifo } from '../../../local/durable/fifo';

describe('Fifo', () => {
  test('gives items back in the order they were pushed, across compactions, and undefined when empty', () => {
    const fifo = new Fifo<number>();
    expect(fifo.shift()).toBeUndefined();
    const taken: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the queue compacts many times while holding items.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) fifo.push(next++);
      for (let i = 0; i < 200; i++) taken.push(fifo.shift()!);
    }
    expect(fifo.length).toBe(next - taken.length);
    while (fifo.length > 0) taken.push(fifo.shift()!);
    expect(taken).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.length).toBe(0);
  });
});
