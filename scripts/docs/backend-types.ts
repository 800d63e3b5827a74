// What `warren codegen` writes for a `chat` type (the READMEs import it as ./backend-types.ts).
export interface BackendTypes {
  chat: {
    payload: { message: string; history?: { role: 'user' | 'assistant'; text: string }[] };
    chunk: { token: string };
    result: { reply: string; tokens: number };
  };
}
