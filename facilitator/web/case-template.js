// The template a new case starts from: the method of the source material in stages (first reaction,
// feelings, certainty, the four principles as points, the four decision models as a model x outcome
// grid over the case's outcomes, own perspective, discussion, re-vote). Plain format-1 JSON, written in the
// console's language (the tables' template.* keys) and marked with it ("lang").
import { t, language } from './i18n.js';

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

/** The four feelings of the method, as options. */
export const feelings = () => ['confusion', 'frustration', 'anxiety', 'empowerment']
  .map((id) => ({ id, label: t(`template.feeling.${id}`) }));

/** The four principles (Beauchamp and Childress), as options. */
export const principles = () => ['autonomy', 'beneficence', 'non_maleficence', 'justice']
  .map((id) => ({ id, label: t(`template.principle.${id}`) }));

/** The four decision models of the method. */
export const models = () => ['guidelines', 'stakeholder', 'utilitarian', 'virtue']
  .map((id) => ({ id, name: t(`template.model.${id}`), prompt: t(`template.model.${id}.prompt`) }));

/** The template's stages (they use the scenario's outcomes and models). */
export function templateStages() {
  return [
    { id: 'case', kind: 'case', title: t('template.case.title'), body: [t('template.case.body')] },
    { id: 'gut', kind: 'question', title: t('template.gut.title'),
      question: { type: 'choice', prompt: t('template.gut.prompt'), options: 'outcomes' } },
    { id: 'feeling', kind: 'question', title: t('template.feeling.title'),
      question: { type: 'choice', prompt: t('template.feeling.prompt'), options: feelings() } },
    { id: 'certainty', kind: 'question', title: t('template.certainty.title'),
      question: { type: 'scale', prompt: t('template.certainty.prompt'), min: 1, max: 5,
        labels: { min: t('template.certainty.min'), max: t('template.certainty.max') } } },
    { id: 'principles', kind: 'question', title: t('template.principles.title'),
      question: { type: 'points', prompt: t('template.principles.prompt'), budget: 10, options: principles() } },
    { id: 'lenses', kind: 'question', title: t('template.lenses.title'),
      question: { type: 'model_outcome', prompt: t('template.lenses.prompt'), assign: false } },
    { id: 'perspective', kind: 'question', title: t('template.perspective.title'),
      question: { type: 'text', prompt: t('template.perspective.prompt'), max_length: 280 } },
    { id: 'discuss', kind: 'discussion', title: t('template.discuss.title'),
      show: ['gut', 'feeling', 'certainty', 'principles', 'lenses', 'perspective'],
      body: [t('template.discuss.body1'), t('template.discuss.body2'), t('template.discuss.body3')] },
    { id: 'gut-again', kind: 'revote', of: 'gut', title: t('template.revote.title'), body: [t('template.revote.body')] },
  ];
}

/** A whole case from the template: a title, the case's paragraphs and its outcomes (labels) are all it needs. */
export function templateCase({ id = '', title = '', summary = '', paragraphs = [], outcomes = ['', '', ''] } = {}) {
  return {
    format: 1,
    id,
    lang: language(),
    title,
    summary,
    case: paragraphs,
    models: models(),
    outcomes: outcomes.map((label) => ({ id: '', label })),
    stages: templateStages(),
  };
}
