// The id and trace of the call a page is showing: the id from the moment it
// is sent (captureNextId), the trace id and hops once the gateway has them.
// Polls while the call runs, so a timeline fills in hop by hop.
import { useCallback, useEffect, useRef, useState } from 'react';
import { captureNextId } from '../backend.ts';
import { fetchCallTrace, type CallTrace } from './call-trace.ts';

export interface CallRecord {
  id: string | undefined;
  trace: CallTrace | null;
  /** Call right before `send`, to learn the id of the request it makes. */
  begin(onId?: (id: string) => void): void;
}

/** `initialId`: a call the page shows without having sent it now (attached after a reload). */
export const useCall = (running: boolean, pollMs = 400, initialId?: string): CallRecord => {
  const [id, setId] = useState<string | undefined>(initialId);
  const [trace, setTrace] = useState<CallTrace | null>(null);
  const current = useRef<string | undefined>(initialId);
  const begin = useCallback((onId?: (id: string) => void) => {
    captureNextId((next) => {
      current.current = next;
      setId(next);
      setTrace(null);
      onId?.(next);
    });
  }, []);
  useEffect(() => {
    if (id === undefined) return;
    let stopped = false;
    const load = async () => {
      const found = await fetchCallTrace(id);
      if (!stopped && found && current.current === id) setTrace(found);
    };
    void load();
    if (!running) {
      // The final hop can land just after the answer: look once more.
      const late = setTimeout(() => void load(), 300);
      return () => {
        stopped = true;
        clearTimeout(late);
      };
    }
    const timer = setInterval(() => void load(), pollMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id, running, pollMs]);
  return { id, trace, begin };
};
