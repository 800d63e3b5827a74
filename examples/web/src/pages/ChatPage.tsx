// Chat: your message shows at once; the reply of request type `chat` (a
// Python worker) streams in token by token. Stop cancels the reply.
import { useBackend, useBackendRequest } from '@warren/react';
import { useEffect, useRef, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import type { WarrenError } from '@warren/client';
import { PageHeader } from './PageHeader.tsx';

interface Message {
  id: number;
  role: 'user' | 'assistant';
  text: string;
  stopped?: boolean;
  error?: WarrenError;
}
interface ChatChunk {
  token: string;
}
interface ChatReply {
  reply: string;
}
interface ChatPayload {
  message: string;
  history: Array<{ role: Message['role']; text: string }>;
}

const SUGGESTIONS = ['What just happened to my message?', 'How does streaming work here?', 'Can I cancel a reply?'];

export const ChatPage = () => {
  const { logger } = useBackend();
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState('');
  const nextId = useRef(1);
  const reply = useBackendRequest<ChatReply, ChatChunk, ChatPayload>('chat', { timeoutMs: 60_000 });
  const live = reply.chunks.map((c) => c.token).join('');
  const liveRef = useRef(live);
  liveRef.current = live;
  const busy = reply.status === 'pending' || reply.status === 'streaming';
  const endRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    endRef.current?.scrollIntoView?.({ block: 'nearest' });
  }, [messages.length, live]);

  const add = (message: Omit<Message, 'id'>) => setMessages((list) => [...list, { ...message, id: nextId.current++ }]);

  const submit = async (text: string) => {
    const message = text.trim();
    if (message === '' || busy) return;
    const history = messages.filter((m) => !m.error).map(({ role, text }) => ({ role, text }));
    add({ role: 'user', text: message });
    setDraft('');
    logger.info('chat message sent', { length: message.length, turn: history.length / 2 + 1 });
    const outcome = await reply.send({ message, history });
    if (outcome.status === 'success') add({ role: 'assistant', text: outcome.data.reply });
    else if (outcome.status === 'cancelled') add({ role: 'assistant', text: liveRef.current, stopped: true });
    else add({ role: 'assistant', text: '', error: outcome.error });
  };

  return (
    <>
      <PageHeader title="Chat">Replies come from a Python worker through RabbitMQ, streamed word by word as they are written.</PageHeader>
      <div className="card chat">
        <div className="chat-thread" data-testid="chat-thread" aria-live="polite">
          {messages.length === 0 && !busy && (
            <div className="chat-empty">
              <p>Say hello to start a conversation.</p>
              <div className="suggestions">
                {SUGGESTIONS.map((s) => (
                  <button key={s} type="button" className="chip" onClick={() => void submit(s)}>
                    {s}
                  </button>
                ))}
              </div>
            </div>
          )}
          {messages.map((m) =>
            m.error ? (
              <div key={m.id} className="bubble-row bubble-row-assistant">
                <ErrorNotice error={m.error} />
              </div>
            ) : (
              <div key={m.id} className={`bubble-row bubble-row-${m.role}`}>
                <div className={`bubble bubble-${m.role}`} data-testid={`chat-${m.role}`}>
                  {m.text}
                  {m.stopped && <span className="bubble-note">Stopped</span>}
                </div>
              </div>
            ),
          )}
          {busy && (
            <div className="bubble-row bubble-row-assistant">
              <div className="bubble bubble-assistant bubble-live" data-testid="chat-live">
                {live === '' ? (
                  <span className="typing" aria-label="Assistant is typing">
                    <i />
                    <i />
                    <i />
                  </span>
                ) : (
                  <>
                    {live}
                    <span className="caret" aria-hidden="true" />
                  </>
                )}
              </div>
            </div>
          )}
          <div ref={endRef} />
        </div>
        <form
          className="chat-composer"
          onSubmit={(event) => {
            event.preventDefault();
            void submit(draft);
          }}
        >
          <input
            className="chat-input"
            placeholder="Write a message…"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            aria-label="Message"
            data-testid="chat-input"
          />
          {busy ? (
            <button type="button" className="btn" onClick={reply.cancel}>
              Stop
            </button>
          ) : (
            <button type="submit" className="btn btn-primary" disabled={draft.trim() === ''}>
              Send
            </button>
          )}
        </form>
      </div>
    </>
  );
};
