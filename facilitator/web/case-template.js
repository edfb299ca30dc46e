// The template a new case starts from: the method of the source material in stages (first reaction,
// feelings, certainty, the four principles as points, the four decision models as a model x outcome
// grid over the case's outcomes, own perspective, discussion, re-vote). Plain format-1 JSON.

/** An id in the format's alphabet ([a-z0-9_-], at most 40) made from a text; `fallback` if nothing is left. */
export function slug(text, fallback = 'case') {
  const s = String(text || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32).replace(/-+$/, '');
  return s || fallback;
}

/** `base`, or `base-2`, `base-3`... : the first that is not in `taken` (a Set). */
export function uniqueId(base, taken) {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export const FEELINGS = [
  { id: 'confusion', label: 'Confusion' },
  { id: 'frustration', label: 'Frustration' },
  { id: 'anxiety', label: 'Anxiety' },
  { id: 'empowerment', label: 'Empowerment' },
];

export const PRINCIPLES = [
  { id: 'autonomy', label: 'Autonomy: each person’s right to make their own choices' },
  { id: 'beneficence', label: 'Beneficence: doing real good for the client' },
  { id: 'non_maleficence', label: 'Non-maleficence: avoiding harm' },
  { id: 'justice', label: 'Justice: treating everyone fairly' },
];

export const MODELS = [
  { id: 'guidelines', name: 'Ethical Guidelines Model', prompt: 'What do the professional codes and the law require here?' },
  { id: 'stakeholder', name: 'Stakeholder Analysis', prompt: 'Who is affected, and what does each stand to gain or lose under each option?' },
  { id: 'utilitarian', name: 'Utilitarian Framework', prompt: 'Which action does the most good, and the least harm, overall?' },
  { id: 'virtue', name: 'Virtue Ethics Approach', prompt: 'What would a practitioner of good character do here?' },
];

/** The template's stages (they use the scenario's outcomes and models). */
export function templateStages() {
  return [
    { id: 'case', kind: 'case', title: 'The case',
      body: ['Read the case on your own first. Keep your reaction to yourself until the first vote.'] },
    { id: 'gut', kind: 'question', title: 'First reaction',
      question: { type: 'choice', prompt: 'What would you do?', options: 'outcomes' } },
    { id: 'feeling', kind: 'question', title: 'How this sits with you',
      question: { type: 'choice', prompt: 'Reading the case, which feeling comes first?', options: FEELINGS.map((o) => ({ ...o })) } },
    { id: 'certainty', kind: 'question', title: 'How sure are you?',
      question: { type: 'scale', prompt: 'How certain are you of your first answer?', min: 1, max: 5,
        labels: { min: 'Not at all certain', max: 'Completely certain' } } },
    { id: 'principles', kind: 'question', title: 'Weighing the principles',
      question: { type: 'points', prompt: 'Share 10 points between the principles according to how much each should guide what you do.',
        budget: 10, options: PRINCIPLES.map((o) => ({ ...o })) } },
    { id: 'lenses', kind: 'question', title: 'Through each lens',
      question: { type: 'model_outcome', prompt: 'Look at the case through each of the four models in turn. Which option does each one point to?', assign: false } },
    { id: 'perspective', kind: 'question', title: 'Your perspective',
      question: { type: 'text', prompt: 'In one or two sentences: what matters most here, and why?', max_length: 280 } },
    { id: 'discuss', kind: 'discussion', title: 'Discussion', show: ['gut', 'feeling', 'certainty', 'principles', 'lenses', 'perspective'],
      body: ['Where did the room split on the first vote, and does the points split explain it?',
        'Where did the four models point to different options, and which difference matters most?',
        'Compare feelings with lenses: confusion often calls for the Ethical Guidelines Model, frustration for a Stakeholder Analysis, anxiety for the Utilitarian Framework and empowerment for the Virtue Ethics Approach.'] },
    { id: 'gut-again', kind: 'revote', of: 'gut', title: 'Your answer now',
      body: ['Vote again, without conferring. It is fine to land where you started.'] },
  ];
}

/** A whole case from the template: a title, the case's paragraphs and its outcomes (labels) are all it needs. */
export function templateCase({ id = '', title = '', summary = '', paragraphs = [], outcomes = ['', '', ''] } = {}) {
  return {
    format: 1,
    id,
    title,
    summary,
    case: paragraphs,
    models: MODELS.map((m) => ({ ...m })),
    outcomes: outcomes.map((label) => ({ id: '', label })),
    stages: templateStages(),
  };
}
