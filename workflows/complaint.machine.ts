import { and, assign, createActor, setup, type ActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate'
import type {
  ActionName, Actor, ComplaintContext, ComplaintEvent, ComplaintState, Decision, Effect, EventType, FollowUpOutcome,
  MachineInput, PersistedMachine, Role, TimerKind,
} from './complaint.contract.js'
import { ACTION_NAMES, ACTION_PROBE, ROLES, TIMER_KINDS } from './complaint.contract.js'

export {
  ACTION_NAMES, ACTION_PROBE, FOLLOW_UP_BY, FOLLOW_UP_OUTCOMES, HISTORY_TYPE, MACHINE_VERSION, RESOLUTION_MODES, ROLES, TIMER_KINDS, machineEventType,
} from './complaint.contract.js'
export type {
  ActionName, Actor, ComplaintContext, ComplaintEvent, ComplaintState, Decision, Effect, FollowUpBy, FollowUpOutcome,
  MachineInput, PersistedMachine, ResolutionMode, Role, TimerKind,
} from './complaint.contract.js'

const STAFF: readonly Role[] = ['agent', 'supervisor']
const SYSTEM: readonly Role[] = ['system']

// Who may send each event type. The extra "supervisor at the escalation level" rule is the supervisorAtLevel guard.
export const ROLE_MAY: Record<EventType, readonly Role[]> = {
  LOG: STAFF, RESOLVE: STAFF, ESCALATE: STAFF, ACKNOWLEDGE: ['supervisor'], FOLLOW_UP: STAFF, WITHDRAW: STAFF,
  ASSIGN: ['supervisor'], NOTE: STAFF,
  TRIAGE_MISSED: SYSTEM, DEADLINE_MISSED: SYSTEM, ACK_MISSED: SYSTEM, DEADLINE_WARNING: SYSTEM, FOLLOW_UP_DUE: SYSTEM,
  ESCALATION_ROUTED: SYSTEM,
  AWAIT_CUSTOMER: STAFF,
  // The customer's reply through an integration resumes the clock, as does an agent.
  RESUME: [...STAFF, 'integration', 'system'],
  MERGE: STAFF,
  ABSORB: STAFF,
  REQUEST_EXTENSION: STAFF,
  APPROVE_EXTENSION: ['supervisor'],
  REFUSE_EXTENSION: ['supervisor'],
  EXTENSION_LAPSED: SYSTEM,
  AWAITING_REMINDER: SYSTEM,
  AWAITING_EXPIRED: SYSTEM,
  TRANSFER: STAFF,
  SEND_BACK: STAFF,
  REOPEN: STAFF,
  LINK_INCIDENT: STAFF,
  UNLINK_INCIDENT: STAFF,
}

const arm = (kind: TimerKind) => ({ type: 'armTimer', params: { kind } }) as const
const cancel = (...kinds: TimerKind[]) => kinds.map((kind) => ({ type: 'cancelTimer', params: { kind } }) as const)
const notify = (event: string) => ({ type: 'notify', params: { event } }) as const
const outcomeIs = (outcome: FollowUpOutcome) => ({ type: 'outcomeIs', params: { outcome } }) as const
const escalateFor = (reason: string) => ({ type: 'raiseLevel', params: { reason } }) as const
const closeAs = (reason: string) => ({ type: 'setCloseReason', params: { reason } }) as const
// reenter: a self-transition escalated -> escalated must run the entry effects again (re-alert).
const escalation = (reason: string) => ({ target: 'escalated', reenter: true, actions: escalateFor(reason) }) as const
// The customer's silence is timed only while the hotline waits for them.
const WAITING: readonly TimerKind[] = ['awaiting_reminder', 'awaiting_close']
const resolution = (mode: NonNullable<ComplaintContext['resolutionMode']>) => [
  { type: 'markResolved', params: { mode } },
  ...cancel('response', 'response_warning', 'escalation_ack', 'escalation_response', ...WAITING),
  arm('follow_up'),
  notify('complaint.resolved'),
] as const
const recorded = ['countFollowUp', notify('follow_up.recorded')] as const
// The follow-up call is made by someone other than the resolver when the policy says so (a supervisor always may).
const caller = and(['roleMay', 'notResolverUnlessAllowed'])

const withdrawable = {
  WITHDRAW: { guard: 'roleMay', target: 'closed', actions: closeAs('withdrawn') },
  MERGE: { guard: 'roleMay', target: 'closed', actions: closeAs('duplicate') },
} as const
const absorbing = { ABSORB: { guard: 'roleMay', actions: notify('complaint.duplicate_absorbed') } } as const
const assignable = { ASSIGN: { guard: 'roleMay', actions: notify('complaint.assigned') } } as const
const notable = { NOTE: { guard: 'roleMay' } } as const
const waitable = {
  AWAIT_CUSTOMER: {
    guard: and(['roleMay', 'notAwaiting']),
    actions: ['markAwaiting', 'pauseClock', ...WAITING.map(arm), notify('complaint.awaiting_customer')],
  },
  RESUME: { guard: and(['roleMay', 'awaiting']), actions: ['markResumed', 'resumeClock', ...cancel(...WAITING), notify('complaint.resumed')] },
  AWAITING_REMINDER: { guard: and(['roleMay', 'awaiting']), actions: notify('complaint.awaiting_reminder') },
  AWAITING_EXPIRED: { guard: and(['roleMay', 'awaiting']), target: 'closed', actions: closeAs('no_response') },
} as const
// A supervisor other than the one who asked decides; approval moves the promise, so the response deadline and its
// warning are armed again for it (the new time is the command's; the machine only says which timers move).
const deciding = and(['roleMay', 'extensionPending', 'notRequester'])
const extendable = {
  REQUEST_EXTENSION: {
    guard: and(['roleMay', 'notAwaiting', 'noExtensionPending']),
    actions: ['markExtensionRequested', notify('promise.extension_requested')],
  },
  APPROVE_EXTENSION: {
    // Not while the clock is stopped: the deadlines are set aside then, and resuming moves them.
    guard: and([deciding, 'notAwaiting']),
    actions: ['clearExtension', ...cancel('response', 'response_warning'), arm('response'), arm('response_warning'),
      notify('promise.extended')],
  },
  REFUSE_EXTENSION: { guard: deciding, actions: ['clearExtension', notify('promise.extension_refused')] },
} as const
// Which team and who: the command's (team membership and the assignee are not the machine's to know); the machine says
// when a transfer is possible, and that a transfer is sent back at most once.
const transferable = {
  TRANSFER: { guard: 'roleMay', actions: ['markTransferred', notify('complaint.transferred')] },
  SEND_BACK: { guard: and(['roleMay', 'sendBackOpen']), actions: ['markSentBack', notify('complaint.sent_back')] },
} as const
// Only an open complaint joins an incident (which incident is the command's); one leaves it in any state.
const linkable = { LINK_INCIDENT: { guard: 'roleMay', actions: notify('complaint.linked_to_incident') } } as const
const unlinkable = { UNLINK_INCIDENT: { guard: 'roleMay', actions: notify('complaint.unlinked_from_incident') } } as const
// A request still pending when the complaint leaves logged lapses, as the transition's consequence (transition.ts).
const lapsable = {
  EXTENSION_LAPSED: { guard: and(['roleMay', 'extensionPending']), actions: ['clearExtension', notify('promise.extension_lapsed')] },
} as const

export const complaintMachine = setup({
  types: {} as { context: ComplaintContext; events: ComplaintEvent; input: MachineInput },
  guards: {
    roleMay: ({ event }) => ROLE_MAY[event.type].includes(event.actor.role),
    supervisorAtLevel: ({ context, event }) =>
      event.actor.role === 'supervisor' && event.actor.level !== null && event.actor.level >= context.level,
    // A null limit means the actor has no compensation authority: only a null or zero amount passes.
    withinLimit: ({ event }) =>
      event.type !== 'RESOLVE' || event.amount === null || event.amount <= (event.actor.compensationLimit ?? 0),
    notAcknowledged: ({ context }) => !context.acknowledged,
    awaiting: ({ context }) => context.awaitingCustomer === true,
    notAwaiting: ({ context }) => context.awaitingCustomer !== true,
    extensionPending: ({ context }) => (context.extensionRequestedBy ?? null) !== null,
    noExtensionPending: ({ context }) => (context.extensionRequestedBy ?? null) === null,
    notRequester: ({ context, event }) => event.actor.id !== context.extensionRequestedBy,
    notResolverUnlessAllowed: ({ context, event }) =>
      (context.followUpBy ?? 'not_resolver') === 'anyone' || event.actor.role === 'supervisor' ||
      (context.resolvedBy ?? null) === null || event.actor.id !== context.resolvedBy,
    sendBackOpen: ({ context }) => context.sendBackOpen === true,
    // A withdrawn complaint was the customer's choice and a duplicate lives on in another: neither comes back.
    reopenable: ({ context }) => context.closeReason !== 'withdrawn' && context.closeReason !== 'duplicate',
    outcomeIs: ({ event }, params: { outcome: FollowUpOutcome }) =>
      event.type === 'FOLLOW_UP' && event.outcome === params.outcome,
    // Evaluated before countFollowUp, so "+ 1" is the attempt being recorded now.
    attemptsLeft: ({ context }) => context.followUpAttempts + 1 < context.followUpMaxAttempts,
  },
  actions: {
    // Effects are returned as data (collected through the inert scope below); these bodies never run.
    armTimer: (_, _params: { kind: TimerKind }) => {},
    cancelTimer: (_, _params: { kind: TimerKind }) => {},
    notify: (_, _params: { event: string }) => {},
    routeEscalation: () => {},
    pauseClock: () => {},
    resumeClock: () => {},
    markAwaiting: assign({ awaitingCustomer: true }),
    markResumed: assign({ awaitingCustomer: false }),
    markExtensionRequested: assign(({ event }) => ({ extensionRequestedBy: event.actor.id ?? 'unknown' })),
    clearExtension: assign({ extensionRequestedBy: null }),
    // At least 1 whatever maxLevel holds: a snapshot started under a broken policy (maxLevel null) must not
    // escalate to level 0, which no supervisor's level matches and no view can show.
    raiseLevel: assign(({ context }, params: { reason: string }) => ({
      level: Math.max(1, Math.min(context.maxLevel, context.level + 1)),
      escalationReason: params.reason,
      acknowledged: false,
      awaitingCustomer: false,
    })),
    markAcknowledged: assign({ acknowledged: true }),
    markResolved: assign(({ event }, { mode }: { mode: NonNullable<ComplaintContext['resolutionMode']> }) => ({
      resolutionMode: mode, followUpAttempts: 0, awaitingCustomer: false, resolvedBy: event.actor.id, sendBackOpen: false,
    })),
    markTransferred: assign({ sendBackOpen: true }),
    markSentBack: assign({ sendBackOpen: false }),
    clearClosed: assign({ closeReason: null }),
    countFollowUp: assign(({ context }) => ({ followUpAttempts: context.followUpAttempts + 1 })),
    markReopened: assign(({ context }) => ({ reopened: context.reopened + 1 })),
    setCloseReason: assign((_, params: { reason: string }) => ({ closeReason: params.reason, awaitingCustomer: false, sendBackOpen: false })),
  },
}).createMachine({
  id: 'complaint',
  context: ({ input }) => ({
    level: 0,
    maxLevel: input.maxLevel,
    escalationReason: null,
    acknowledged: false,
    resolutionMode: null,
    followUpAttempts: 0,
    followUpMaxAttempts: input.followUpMaxAttempts,
    closeReason: null,
    reopened: 0,
    awaitingCustomer: false,
    extensionRequestedBy: null,
    resolvedBy: null,
    followUpBy: input.followUpBy ?? 'not_resolver',
    sendBackOpen: false,
  }),
  initial: 'received',
  states: {
    received: {
      entry: [arm('triage'), notify('complaint.received')],
      exit: cancel('triage'),
      on: {
        LOG: { guard: 'roleMay', target: 'logged' },
        TRIAGE_MISSED: { guard: 'roleMay', ...escalation('not_triaged') },
        ...withdrawable, ...assignable, ...notable, ...absorbing, ...transferable, ...linkable, ...unlinkable,
      },
    },
    logged: {
      entry: [arm('response'), arm('response_warning'), notify('complaint.logged')],
      on: {
        RESOLVE: { guard: and(['roleMay', 'withinLimit']), target: 'follow_up', actions: resolution('on_the_spot') },
        ESCALATE: {
          guard: 'roleMay', target: 'escalated',
          actions: { type: 'raiseLevel', params: ({ event }) => ({ reason: event.reason }) },
        },
        DEADLINE_MISSED: { guard: 'roleMay', ...escalation('deadline_missed') },
        DEADLINE_WARNING: { guard: 'roleMay', actions: notify('deadline.warning') },
        ...withdrawable, ...assignable, ...notable, ...absorbing, ...waitable, ...extendable, ...transferable,
        ...linkable, ...unlinkable,
      },
    },
    escalated: {
      entry: [
        ...cancel('response', 'response_warning', 'escalation_ack', 'escalation_response', 'follow_up', 'follow_up_retry', ...WAITING),
        arm('escalation_ack'),
        'routeEscalation',
        notify('complaint.escalated'),
      ],
      on: {
        ESCALATE: {
          guard: 'roleMay', target: 'escalated', reenter: true,
          actions: { type: 'raiseLevel', params: ({ event }) => ({ reason: event.reason }) },
        },
        ACKNOWLEDGE: {
          guard: and(['notAcknowledged', 'supervisorAtLevel']),
          actions: ['markAcknowledged', ...cancel('escalation_ack'), arm('escalation_response'),
            notify('escalation.acknowledged')],
        },
        RESOLVE: {
          guard: and(['supervisorAtLevel', 'withinLimit']), target: 'follow_up', actions: resolution('after_escalation'),
        },
        DEADLINE_MISSED: { guard: 'roleMay', ...escalation('deadline_missed') },
        ACK_MISSED: { guard: and(['roleMay', 'notAcknowledged']), ...escalation('not_acknowledged') },
        DEADLINE_WARNING: { guard: 'roleMay', actions: notify('deadline.warning') },
        ESCALATION_ROUTED: { guard: 'roleMay', actions: notify('escalation.assigned') },
        ...withdrawable, ...assignable, ...notable, ...absorbing, ...waitable, ...lapsable, ...transferable,
        ...linkable, ...unlinkable,
      },
    },
    follow_up: {
      on: {
        FOLLOW_UP: [
          {
            guard: and([caller, outcomeIs('satisfied')]), target: 'closed',
            actions: [...recorded, closeAs('satisfied')],
          },
          {
            guard: and([caller, outcomeIs('unsatisfied')]), target: 'escalated',
            actions: [...recorded, 'markReopened', escalateFor('unsatisfied')],
          },
          {
            guard: and([caller, outcomeIs('unreachable'), 'attemptsLeft']),
            actions: [...recorded, ...cancel('follow_up', 'follow_up_retry'), arm('follow_up_retry')],
          },
          {
            guard: and([caller, outcomeIs('unreachable')]), target: 'closed',
            actions: [...recorded, closeAs('unreachable')],
          },
        ],
        FOLLOW_UP_DUE: { guard: 'roleMay', actions: notify('follow_up.due') },
        ...assignable, ...notable, ...absorbing, ...lapsable, ...unlinkable,
      },
    },
    // Not `type: 'final'`: a final child of the root makes the snapshot `done`, and xstate answers a done snapshot's
    // transition() with the snapshot unchanged (it runs no transition once the machine is done), so nothing could
    // leave it; a reopened complaint must. Closed is an ordinary state whose only way out is REOPEN.
    closed: {
      entry: [...cancel(...TIMER_KINDS), notify('complaint.closed')],
      on: {
        ...notable, ...lapsable, ...unlinkable,
        REOPEN: {
          guard: and(['roleMay', 'reopenable']), target: 'escalated',
          actions: ['clearClosed', 'markReopened', escalateFor('reopened')],
        },
      },
    },
  },
})

type Snapshot = SnapshotFrom<typeof complaintMachine>

export const COMPLAINT_STATES = Object.keys(complaintMachine.root.states) as readonly ComplaintState[]

// Does `state` handle `type` at all, whatever the guards say? `on`, not `ownEvents`: ownEvents drops NOTE (no target,
// no actions), as does snapshot.can(), hence getTransitionData below.
function accepts(state: ComplaintState, type: EventType): boolean {
  return complaintMachine.root.states[state]?.on[type] !== undefined
}

function enabled(snapshot: Snapshot, event: ComplaintEvent): boolean {
  return complaintMachine.getTransitionData(snapshot, event).length > 0
}

function revive(current: PersistedMachine): Snapshot {
  return complaintMachine.resolveState({ value: current.value, context: current.context })
}

function persist(snapshot: Snapshot): PersistedMachine {
  return { value: snapshot.value, context: { ...snapshot.context } }
}

// xstate's transition() and initialTransition() build a throwaway actor on every call, and that actor computes the
// machine's initial snapshot (its context factory called without input, which threw and was caught) only to discard
// it: nine tenths of a decision's time (bench/RESULTS.md). One inert scope, built once, collects the actions instead.
// The machine spawns and invokes nothing, so its system never holds anything; calls are synchronous, one at a time.
const collected: ExecutableActionObject[] = []
const scope = inertScope()
function inertScope(): ActorScope<Snapshot, ComplaintEvent> {
  const self = createActor(complaintMachine, { input: { maxLevel: 1, followUpMaxAttempts: 1 } })
  return {
    self, id: '', sessionId: '', system: self.system,
    logger: () => {}, defer: () => {}, emit: () => {}, stopChild: () => {},
    actionExecutor: (action) => { collected.push(action) },
  }
}
function collecting(step: () => Snapshot): [Snapshot, ExecutableActionObject[]] {
  collected.length = 0
  const snapshot = step()
  return [snapshot, collected.splice(0)]
}

// xstate types an executable action's `type` and `params` as separate unions, hence the casts.
function toEffects(actions: ExecutableActionObject[]): Effect[] {
  return actions.flatMap((action): Effect[] => {
    switch (action.type) {
      case 'armTimer':
      case 'cancelTimer':
        return [{ type: action.type, kind: (action.params as { kind: TimerKind }).kind }]
      case 'notify':
        return [{ type: 'notify', event: (action.params as { event: string }).event }]
      case 'routeEscalation':
      case 'pauseClock':
      case 'resumeClock':
        return [{ type: action.type }]
      default:
        return []
    }
  })
}

export function start(input: MachineInput): { persisted: PersistedMachine; effects: Effect[] } {
  const [snapshot, actions] = collecting(() => complaintMachine.getInitialSnapshot(scope, input))
  return { persisted: persist(snapshot), effects: toEffects(actions) }
}

// Every answer that shows a complaint lists its actions, and probing each action through the machine was a tenth of a
// read's CPU (bench/RESULTS.md). The answer depends only on the persisted machine and the actor, and few combinations
// occur: a bounded map, oldest out first. Persisted machines come from jsonb, whose key order is fixed.
const allowedByKey = new Map<string, readonly ActionName[]>()
const ALLOWED_KEYS = 10_000

export function allowedActions(current: PersistedMachine, actor: Actor): ActionName[] {
  const key = `${actor.id}|${actor.role}|${actor.level}|${actor.compensationLimit}|${JSON.stringify(current)}`
  let allowed = allowedByKey.get(key)
  if (!allowed) {
    const snapshot = revive(current)
    allowed = ACTION_NAMES.filter((name) => enabled(snapshot, ACTION_PROBE[name](actor)))
    if (allowedByKey.size >= ALLOWED_KEYS) allowedByKey.delete(allowedByKey.keys().next().value!)
    allowedByKey.set(key, allowed)
  }
  return [...allowed]
}

// Explains a refusal with the machine's own guards: retried without an amount (only withinLimit reads it), then by
// an all-powerful actor of each role; if nobody could do it now, the state (or acknowledged flag) refuses it.
function refusal(snapshot: Snapshot, event: ComplaintEvent): Exclude<Decision, { ok: true }>['code'] | null {
  if (!accepts(snapshot.value, event.type)) return 'invalid_transition'
  if (enabled(snapshot, event)) return null
  const noAmount: ComplaintEvent = event.type === 'RESOLVE' ? { ...event, amount: null } : event
  if (enabled(snapshot, noAmount)) return 'authority_exceeded'
  const somebodyCould = ROLES.some((role) =>
    enabled(snapshot, { ...noAmount, actor: { id: null, role, level: Infinity, compensationLimit: null } }))
  return somebodyCould ? 'forbidden' : 'invalid_transition'
}

export function decide(current: PersistedMachine, event: ComplaintEvent): Decision {
  const snapshot = revive(current)
  const code = refusal(snapshot, event)
  if (code !== null) return { ok: false, code, allowed: allowedActions(current, event.actor) }
  const [next, actions] = collecting(() => complaintMachine.transition(snapshot, event, scope))
  return { ok: true, persisted: persist(next), effects: toEffects(actions) }
}

export function replay(input: MachineInput, events: ComplaintEvent[]): PersistedMachine {
  let persisted = start(input).persisted
  events.forEach((event, index) => {
    const decision = decide(persisted, event)
    if (!decision.ok) {
      throw new Error(`replay: event #${index} ${event.type} refused in '${persisted.value}' (${decision.code})`)
    }
    persisted = decision.persisted
  })
  return persisted
}
