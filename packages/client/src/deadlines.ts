// Every deadline of one in-flight table on one timer, instead of a
// setTimeout and a clearTimeout per call (and the closure each timer held):
// a load client or a busy page makes thousands of calls a second, nearly all
// of which settle long before their deadline (decision 0019, sixth round).
// Calls with the same timeoutMs expire in the order they started, so each
// such group is a list ordered by deadline, appended and unlinked in O(1)
// through links kept on the entry itself (nothing is allocated per call).
// The timer waits for the earliest first entry; unlinking leaves it as it
// is, and a timer that fires with nothing due is set again for what is then
// first. With nothing pending it stays set but unref'd, so, as before, no
// settled call keeps a Node process alive.

/** What an entry carries for its list. */
export interface Timed<T> {
  /** When it expires, on the table's clock (`now`); undefined: never, not listed. */
  deadline: number | undefined;
  /** Its list: the calls of one timeoutMs expire in the order they started. */
  timeoutMs: number;
  /** Its neighbours in that list; both undefined when it is alone or not listed. */
  earlier: T | undefined;
  later: T | undefined;
}

interface List<T> {
  first: T | undefined;
  last: T | undefined;
}

/** setTimeout's handle where it can be unref'd (Node, Bun); a number in browsers. */
type Handle = { ref?(): unknown; unref?(): unknown };

interface DeadlinesDeps<T> {
  now(): number;
  /** An entry's deadline passed; it is no longer listed. */
  expire(entry: T): void;
  /** @default setTimeout / clearTimeout */
  setTimer?: (fire: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Deadlines<T> {
  /** Lists an entry whose `deadline` is set (one without a deadline is ignored). */
  add(entry: T): void;
  /** Unlists an entry; nothing when it is not listed. */
  remove(entry: T): void;
}

export const createDeadlines = <T extends Timed<T>>(deps: DeadlinesDeps<T>): Deadlines<T> => {
  const setTimer = deps.setTimer ?? ((fire: () => void, ms: number) => setTimeout(fire, ms));
  const clearTimer = deps.clearTimer ?? ((handle: unknown) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]));
  const lists = new Map<number, List<T>>();
  let listed = 0;
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;

  const isListed = (entry: T, list: List<T> | undefined): boolean => list !== undefined && (list.first === entry || entry.earlier !== undefined);

  const unlink = (entry: T, list: List<T>): void => {
    if (entry.earlier === undefined) list.first = entry.later;
    else entry.earlier.later = entry.later;
    if (entry.later === undefined) list.last = entry.earlier;
    else entry.later.earlier = entry.earlier;
    entry.earlier = undefined;
    entry.later = undefined;
    listed -= 1;
    if (listed === 0) (timer as Handle | undefined)?.unref?.();
  };

  const arm = (at: number): void => {
    if (timer !== undefined) clearTimer(timer);
    timerAt = at;
    timer = setTimer(fire, Math.max(0, at - deps.now()));
  };

  const fire = (): void => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    const now = deps.now();
    const due: T[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, list] of lists) {
      while (list.first !== undefined && (list.first.deadline as number) <= now) {
        const entry = list.first;
        unlink(entry, list);
        due.push(entry);
      }
      if (list.first === undefined) lists.delete(timeoutMs);
      else next = Math.min(next, list.first.deadline as number);
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next);
    // After the lists are consistent: expiring one may settle, add or remove others.
    for (const entry of due) deps.expire(entry);
  };

  const add = (entry: T): void => {
    const { deadline } = entry;
    if (deadline === undefined) return;
    let list = lists.get(entry.timeoutMs);
    if (list === undefined) {
      list = { first: undefined, last: undefined };
      lists.set(entry.timeoutMs, list);
    }
    // Almost always appended; a clock that stepped back puts it further up.
    let after = list.last;
    while (after !== undefined && (after.deadline as number) > deadline) after = after.earlier;
    entry.earlier = after;
    entry.later = after === undefined ? list.first : after.later;
    if (after === undefined) list.first = entry;
    else after.later = entry;
    if (entry.later === undefined) list.last = entry;
    else entry.later.earlier = entry;
    listed += 1;
    if (deadline < timerAt) arm(deadline);
    else if (listed === 1) (timer as Handle | undefined)?.ref?.();
  };

  const remove = (entry: T): void => {
    const list = lists.get(entry.timeoutMs);
    if (isListed(entry, list)) unlink(entry, list as List<T>);
  };

  return { add, remove };
};
