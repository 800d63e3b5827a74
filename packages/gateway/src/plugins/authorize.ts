// authorize: per request type, who may call it — by role, by claim, or by a
// function. A caller who may not is refused before anything is published:
// UNAUTHORIZED when anonymous, FORBIDDEN otherwise.
import { z } from 'zod';
import { parsePluginOptions } from './plugin-options.ts';
import { refuse } from './errors.ts';
import type { GatewayPlugin, Principal, RequestContext } from './types.ts';

const claimValue = z.union([z.string(), z.number(), z.boolean()]);
const ruleObject = z.strictObject({
  /** The caller needs at least one of these in `principal.roles`. */
  roles: z.array(z.string().min(1)).min(1).optional(),
  /** Each claim must equal the value (or one of the values). */
  claims: z.record(z.string(), z.union([claimValue, z.array(claimValue).min(1)])).optional(),
  /** Anonymous callers may call it too. @default false */
  allowAnonymous: z.boolean().optional(),
});
type RuleFunction = (principal: Principal | undefined, ctx: RequestContext) => boolean | Promise<boolean>;
export type AuthorizeRule = z.input<typeof ruleObject> | RuleFunction;

const schema = z.object({
  /** Keyed by request type; `*` applies to types without a rule of their own. */
  rules: z.record(
    z.string().regex(/^(\*|[A-Za-z][A-Za-z0-9_.-]{0,99})$/, 'a request type or *'),
    z.union([ruleObject, z.custom<RuleFunction>((v) => typeof v === 'function', 'a rule object or a function')]),
  ),
  /** Types with no rule and no `*`: 'deny' refuses them. @default 'deny' */
  otherwise: z.enum(['allow', 'deny']).default('deny'),
});

export type AuthorizeOptions = z.input<typeof schema>;

const matches = (rule: z.output<typeof ruleObject>, principal: Principal): boolean => {
  if (rule.roles && !rule.roles.some((r) => Array.isArray(principal.roles) && principal.roles.includes(r))) return false;
  for (const [claim, wanted] of Object.entries(rule.claims ?? {})) {
    const have = principal[claim];
    const options = Array.isArray(wanted) ? wanted : [wanted];
    const values = Array.isArray(have) ? have : [have];
    if (!values.some((v) => options.includes(v as string | number | boolean))) return false;
  }
  return true;
};

export const authorize = (input: AuthorizeOptions): GatewayPlugin => {
  const options = parsePluginOptions('authorize', schema, input);
  const rules = new Map(Object.entries(options.rules));
  return {
    name: 'authorize',
    async onRequest(ctx, next) {
      const rule = rules.get(ctx.type) ?? rules.get('*');
      const principal = ctx.principal;
      let allowed: boolean;
      if (rule === undefined) allowed = options.otherwise === 'allow';
      else if (typeof rule === 'function') allowed = (await rule(principal, ctx)) === true;
      else allowed = principal === undefined ? rule.allowAnonymous === true : matches(rule, principal);
      if (!allowed) {
        ctx.log.info({ principal: principal?.sub }, 'request refused by authorization rule');
        throw principal === undefined ? refuse('UNAUTHORIZED', `Sign in to call "${ctx.type}".`) : refuse('FORBIDDEN', `You may not call "${ctx.type}".`);
      }
      await next();
    },
  };
};
