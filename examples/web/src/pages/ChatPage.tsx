// Chat: your message shows at once; the reply of request type `chat` (a
// Python worker) streams in word by word. Stop cancels the reply; Retry
// resends a failed turn; Regenerate asks for another wording of the last one.
// The reply is one message from its first word to its end (same element), so
// nothing re-mounts or flickers when it finishes; screen readers hear each
// finished message once, not every word.
//
// Reload-proof: the conversation lives in this tab's sessionStorage, and each
// reply is a retained call under a key of its own (one per turn, and per
// Retry or Regenerate). A reload mid-reply shows the history and attaches to
// the reply in progress: its words from the first, then the rest as they come.
import { useBackend, useBackendRequest } from '@warren/react';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { WarrenError } from '@warren/client';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { errorText } from '../error-text.ts';
import { newCallKey, readTabValue, writeTabValue } from '../lib/tab-storage.ts';
import { useCall } from '../lib/use-call.ts';
import { PageHeader } from './PageHeader.tsx';

interface Turn {
  role: 'user' | 'assistant';
  text: string;
}
/** What a failed reply keeps of its error (a plain object: it is saved as JSON). */
type SavedError = Pick<WarrenError, 'code' | 'message'>;
interface Message extends Turn {
  id: number;
  status: 'done' | 'streaming' | 'stopped' | 'error';
  error?: SavedError | undefined;
  requestId?: string | undefined;
  traceId?: string | undefined;
  /** What produced an assistant message, so Retry and Regenerate can ask again. */
  asked?: ChatPayload;
  /** The retained call of the reply (assistant messages). */
  key?: string | undefined;
  /** How many chunks (words) the reply streamed, once it ended. */
  chunks?: number | undefined;
}
interface ChatChunk {
  token: string;
}
interface ChatReply {
  reply: string;
}
interface ChatPayload {
  message: string;
  history: Turn[];
  variant?: number;
}

const SUGGESTIONS = ['My name is Ada. What just happened to my message?', 'How does streaming work here?', 'Can I cancel a reply?'];

/** sessionStorage: this tab's conversation. */
const CONVERSATION = 'warren-demo.chat';
const isConversation = (value: unknown): value is Message[] =>
  Array.isArray(value) && value.every((m) => typeof m === 'object' && m !== null && typeof m.id === 'number' && typeof m.text === 'string');

export const ChatPage = () => {
  const backend = useBackend();
  const { logger } = backend;
  // The conversation as this tab left it. A reply that was streaming goes on
  // if the client still knows its call; otherwise it stops where it was.
  const [messages, setMessages] = useState<Message[]>(() =>
    (readTabValue(CONVERSATION, isConversation) ?? []).map((m) =>
      m.status === 'streaming' && (m.key === undefined || backend.retainedCall(m.key) === undefined) ? { ...m, status: 'stopped' } : m,
    ),
  );
  const [draft, setDraft] = useState('');
  const [announcement, setAnnouncement] = useState('');
  const nextId = useRef(messages.reduce((max, m) => Math.max(max, m.id), 0) + 1);
  const [resumeKey] = useState(() => messages.find((m) => m.status === 'streaming')?.key);
  const reply = useBackendRequest<ChatReply, ChatChunk, ChatPayload>('chat', { timeoutMs: 60_000, key: resumeKey });
  const busy = reply.status === 'pending' || reply.status === 'queued' || reply.status === 'streaming';
  const call = useCall(busy);
  const live = reply.chunks.map((c) => c.token).join('');

  useEffect(() => writeTabValue(CONVERSATION, messages), [messages]);
  const threadRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const actionRef = useRef<HTMLButtonElement>(null);
  const stick = useRef(true);

  // Follow the newest words, inside the thread only (the window never
  // scrolls, so the header and the connection banner stay in view), unless
  // the reader scrolled up to read something earlier.
  useLayoutEffect(() => {
    const thread = threadRef.current;
    if (thread && stick.current) thread.scrollTop = thread.scrollHeight;
  }, [messages, live]);

  // A reply that ends while focus is on Stop must not drop focus to the page.
  const wasBusy = useRef(false);
  useEffect(() => {
    if (wasBusy.current && !busy && document.activeElement === actionRef.current) inputRef.current?.focus();
    wasBusy.current = busy;
  }, [busy]);

  const update = (id: number, patch: Partial<Message>) => setMessages((list) => list.map((m) => (m.id === id ? { ...m, ...patch } : m)));
  // The trace id arrives from the gateway shortly after the call: kept on its message.
  const trace = call.trace;
  useEffect(() => {
    if (trace) setMessages((list) => list.map((m) => (m.requestId === trace.id && m.traceId !== trace.traceId ? { ...m, traceId: trace.traceId } : m)));
  }, [trace, messages.length]);

  /** Runs one reply into the assistant message `id` (new or reused), as a new retained call. */
  const ask = (id: number, payload: ChatPayload) => {
    let requestId: string | undefined;
    call.begin((next) => (requestId = next));
    stick.current = true;
    const key = newCallKey('chat');
    void reply.send(payload, { key });
    update(id, { status: 'streaming', text: '', error: undefined, asked: payload, requestId, traceId: undefined, key, chunks: undefined });
  };

  // A reply ends (one sent now, or one attached to after a reload): its
  // message keeps the result, or the words so far, or the error.
  useEffect(() => {
    if (reply.status !== 'success' && reply.status !== 'cancelled' && reply.status !== 'error') return;
    const message = messages.find((m) => m.status === 'streaming' && m.key === reply.key);
    if (message === undefined) return;
    const streamed = reply.chunks.map((c) => c.token).join('');
    const chunks = reply.chunks.length;
    if (reply.status === 'success') {
      update(message.id, { status: 'done', text: reply.data.reply, chunks });
      setAnnouncement(`Assistant: ${reply.data.reply}`);
    } else if (reply.status === 'cancelled') {
      update(message.id, { status: 'stopped', text: streamed, chunks });
      setAnnouncement('Reply stopped.');
    } else {
      update(message.id, { status: 'error', error: { code: reply.error.code, message: reply.error.message }, chunks });
      setAnnouncement(`The reply failed: ${errorText(reply.error.code).title}.`);
    }
  }, [reply, messages]);

  const historyBefore = (list: Message[], index: number): Turn[] =>
    list
      .slice(0, index)
      .filter((m) => m.status === 'done' || m.status === 'stopped')
      .map(({ role, text }) => ({ role, text }));

  const submit = (text: string) => {
    const message = text.trim();
    inputRef.current?.focus();
    if (message === '' || busy) return;
    const history = historyBefore(messages, messages.length);
    const userId = nextId.current++;
    const id = nextId.current++;
    setMessages((list) => [...list, { id: userId, role: 'user', text: message, status: 'done' }, { id, role: 'assistant', text: '', status: 'streaming' }]);
    setDraft('');
    logger.info('chat message sent', { length: message.length, turn: history.filter((t) => t.role === 'user').length + 1 });
    void ask(id, { message, history });
  };

  const again = (m: Message, variant: number) => {
    if (!m.asked || busy) return;
    logger.info(variant > 0 ? 'chat reply regenerated' : 'chat reply retried', { variant });
    inputRef.current?.focus();
    void ask(m.id, { ...m.asked, variant });
  };

  const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant');

  return (
    <div className="chat-page">
      <PageHeader title="Chat">
        A scripted assistant (no language model) in a Python worker answers through RabbitMQ, word by word. It reads the whole conversation: tell it your name,
        then ask what it remembers.
      </PageHeader>
      <div className="card chat">
        <div
          className="chat-thread"
          data-testid="chat-thread"
          ref={threadRef}
          tabIndex={0}
          role="region"
          aria-label="Conversation"
          onScroll={(e) => {
            const t = e.currentTarget;
            stick.current = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
          }}
        >
          {messages.length === 0 && (
            <div className="chat-empty">
              <p>Say hello to start a conversation.</p>
              <div className="suggestions">
                {SUGGESTIONS.map((s) => (
                  <button key={s} type="button" className="chip" onClick={() => submit(s)}>
                    {s}
                  </button>
                ))}
              </div>
            </div>
          )}
          {messages.map((m) =>
            m.status === 'error' && m.error ? (
              <div key={m.id} className="bubble-row bubble-row-assistant">
                <ErrorNotice error={m.error} requestId={m.requestId} traceId={m.traceId} onRetry={busy ? undefined : () => again(m, m.asked?.variant ?? 0)} />
              </div>
            ) : (
              <div key={m.id} className={`bubble-row bubble-row-${m.role}`}>
                <div
                  className={`bubble bubble-${m.role}${m.status === 'streaming' ? ' bubble-live' : ''}`}
                  data-testid={m.status === 'streaming' ? 'chat-live' : `chat-${m.role}`}
                  data-chunks={m.chunks}
                  aria-busy={m.status === 'streaming' || undefined}
                >
                  {m.status === 'streaming' ? (
                    reply.status === 'queued' ? (
                      <span className="bubble-note" data-testid="chat-queued">
                        Waiting for the assistant: {reply.position === 0 ? 'next in the queue' : `${reply.position} ahead of you`}
                      </span>
                    ) : live === '' ? (
                      <span className="typing" role="img" aria-label="Assistant is typing">
                        <i />
                        <i />
                        <i />
                      </span>
                    ) : (
                      <>
                        {live}
                        <span className="caret" aria-hidden="true" />
                      </>
                    )
                  ) : (
                    m.text
                  )}
                  {m.status === 'stopped' && <span className="bubble-note">Stopped</span>}
                </div>
                {m === lastAssistant && m.status !== 'streaming' && !busy && m.asked && (
                  <button type="button" className="btn btn-small btn-quiet regenerate" onClick={() => again(m, (m.asked?.variant ?? 0) + 1)}>
                    Regenerate
                  </button>
                )}
              </div>
            ),
          )}
        </div>
        <p className="sr-only" role="status" data-testid="chat-announcer">
          {announcement}
        </p>
        <form
          className="chat-composer"
          onSubmit={(event) => {
            event.preventDefault();
            submit(draft);
          }}
        >
          <input
            ref={inputRef}
            className="chat-input"
            placeholder="Write a message…"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            aria-label="Message"
            data-testid="chat-input"
            enterKeyHint="send"
          />
          {/* One button that turns from Send into Stop: the same element, so focus stays on it. */}
          <button
            ref={actionRef}
            type={busy ? 'button' : 'submit'}
            className={busy ? 'btn' : 'btn btn-primary'}
            aria-disabled={!busy && draft.trim() === ''}
            data-testid="chat-action"
            onClick={
              busy
                ? () => {
                    reply.cancel();
                    inputRef.current?.focus();
                  }
                : undefined
            }
          >
            {busy ? 'Stop' : 'Send'}
          </button>
        </form>
      </div>
    </div>
  );
};
