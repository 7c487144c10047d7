//! The quiz snapshot of a `created` record: the quiz as the session selected it, in the journal's
//! own types, so that a field added to the quiz model changes no journal already written.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::quiz::model::{
    Band, Choice, Lang, Notes, Question, QuestionKind, Quiz, Resource, Scale,
};

/// [`Quiz`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizRecord {
    id: String,
    title: String,
    lang: LangRecord,
    audience: String,
    description: String,
    minutes: u32,
    content_warning: Option<String>,
    questions: Vec<QuestionRecord>,
    bands: Vec<BandRecord>,
    resources: Vec<ResourceRecord>,
}

/// [`Lang`] as the journal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum LangRecord {
    Fr,
    En,
}

/// [`QuestionKind`] as the journal writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindRecord {
    Single,
    Multiple,
    TrueFalse,
    Scale,
}

/// [`Question`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QuestionRecord {
    id: String,
    kind: KindRecord,
    text: String,
    options: Vec<OptionRecord>,
    scale: Option<ScaleRecord>,
    time_limit: Option<u32>,
    sensitive: bool,
    min_age: Option<u8>,
    explanation: Option<String>,
    advice: Option<String>,
    weight: u32,
    core: bool,
    notes: NotesRecord,
}

/// One option ([`Choice`] of the quiz model) as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct OptionRecord {
    text: String,
    correct: bool,
    points: Option<u32>,
}

/// [`Scale`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ScaleRecord {
    min: i32,
    max: i32,
    min_label: String,
    max_label: String,
}

/// [`Notes`] as the journal writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NotesRecord {
    prompt: Option<String>,
    key_fact: Option<String>,
    source: Option<String>,
    tip: Option<String>,
}

/// [`Band`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BandRecord {
    min: u8,
    max: u8,
    title: String,
    advice: String,
}

/// [`Resource`] as the journal writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ResourceRecord {
    name: String,
    contact: String,
    description: String,
}

// Every conversion below names every field, without `..`: a field added to the quiz model does
// not compile until someone decides here what the journal keeps of it.

impl From<&Quiz> for QuizRecord {
    fn from(quiz: &Quiz) -> Self {
        let Quiz {
            id,
            title,
            lang,
            audience,
            description,
            minutes,
            content_warning,
            questions,
            bands,
            resources,
        } = quiz;
        QuizRecord {
            id: id.clone(),
            title: title.clone(),
            lang: match lang {
                Lang::Fr => LangRecord::Fr,
                Lang::En => LangRecord::En,
            },
            audience: audience.clone(),
            description: description.clone(),
            minutes: *minutes,
            content_warning: content_warning.clone(),
            questions: questions.iter().map(QuestionRecord::from).collect(),
            bands: bands.iter().map(BandRecord::from).collect(),
            resources: resources.iter().map(ResourceRecord::from).collect(),
        }
    }
}

impl From<QuizRecord> for Arc<Quiz> {
    fn from(r: QuizRecord) -> Self {
        Arc::new(Quiz {
            id: r.id,
            title: r.title,
            lang: match r.lang {
                LangRecord::Fr => Lang::Fr,
                LangRecord::En => Lang::En,
            },
            audience: r.audience,
            description: r.description,
            minutes: r.minutes,
            content_warning: r.content_warning,
            questions: r.questions.into_iter().map(Question::from).collect(),
            bands: r.bands.into_iter().map(Band::from).collect(),
            resources: r.resources.into_iter().map(Resource::from).collect(),
        })
    }
}

impl From<&Question> for QuestionRecord {
    fn from(q: &Question) -> Self {
        let Question {
            id,
            kind,
            text,
            options,
            scale,
            time_limit,
            sensitive,
            min_age,
            explanation,
            advice,
            weight,
            core,
            notes,
        } = q;
        QuestionRecord {
            id: id.clone(),
            kind: match kind {
                QuestionKind::Single => KindRecord::Single,
                QuestionKind::Multiple => KindRecord::Multiple,
                QuestionKind::TrueFalse => KindRecord::TrueFalse,
                QuestionKind::Scale => KindRecord::Scale,
            },
            text: text.clone(),
            options: options.iter().map(OptionRecord::from).collect(),
            scale: scale.as_ref().map(ScaleRecord::from),
            time_limit: *time_limit,
            sensitive: *sensitive,
            min_age: *min_age,
            explanation: explanation.clone(),
            advice: advice.clone(),
            weight: *weight,
            core: *core,
            notes: NotesRecord::from(notes),
        }
    }
}

impl From<QuestionRecord> for Question {
    fn from(r: QuestionRecord) -> Self {
        Question {
            id: r.id,
            kind: match r.kind {
                KindRecord::Single => QuestionKind::Single,
                KindRecord::Multiple => QuestionKind::Multiple,
                KindRecord::TrueFalse => QuestionKind::TrueFalse,
                KindRecord::Scale => QuestionKind::Scale,
            },
            text: r.text,
            options: r.options.into_iter().map(Choice::from).collect(),
            scale: r.scale.map(Scale::from),
            time_limit: r.time_limit,
            sensitive: r.sensitive,
            min_age: r.min_age,
            explanation: r.explanation,
            advice: r.advice,
            weight: r.weight,
            core: r.core,
            notes: Notes::from(r.notes),
        }
    }
}

impl From<&Choice> for OptionRecord {
    fn from(o: &Choice) -> Self {
        let Choice {
            text,
            correct,
            points,
        } = o;
        OptionRecord {
            text: text.clone(),
            correct: *correct,
            points: *points,
        }
    }
}

impl From<OptionRecord> for Choice {
    fn from(r: OptionRecord) -> Self {
        Choice {
            text: r.text,
            correct: r.correct,
            points: r.points,
        }
    }
}

impl From<&Scale> for ScaleRecord {
    fn from(s: &Scale) -> Self {
        let Scale {
            min,
            max,
            min_label,
            max_label,
        } = s;
        ScaleRecord {
            min: *min,
            max: *max,
            min_label: min_label.clone(),
            max_label: max_label.clone(),
        }
    }
}

impl From<ScaleRecord> for Scale {
    fn from(r: ScaleRecord) -> Self {
        Scale {
            min: r.min,
            max: r.max,
            min_label: r.min_label,
            max_label: r.max_label,
        }
    }
}

impl From<&Notes> for NotesRecord {
    fn from(n: &Notes) -> Self {
        let Notes {
            prompt,
            key_fact,
            source,
            tip,
        } = n;
        NotesRecord {
            prompt: prompt.clone(),
            key_fact: key_fact.clone(),
            source: source.clone(),
            tip: tip.clone(),
        }
    }
}

impl From<NotesRecord> for Notes {
    fn from(r: NotesRecord) -> Self {
        Notes {
            prompt: r.prompt,
            key_fact: r.key_fact,
            source: r.source,
            tip: r.tip,
        }
    }
}

impl From<&Band> for BandRecord {
    fn from(b: &Band) -> Self {
        let Band {
            min,
            max,
            title,
            advice,
        } = b;
        BandRecord {
            min: *min,
            max: *max,
            title: title.clone(),
            advice: advice.clone(),
        }
    }
}

impl From<BandRecord> for Band {
    fn from(r: BandRecord) -> Self {
        Band {
            min: r.min,
            max: r.max,
            title: r.title,
            advice: r.advice,
        }
    }
}

impl From<&Resource> for ResourceRecord {
    fn from(r: &Resource) -> Self {
        let Resource {
            name,
            contact,
            description,
        } = r;
        ResourceRecord {
            name: name.clone(),
            contact: contact.clone(),
            description: description.clone(),
        }
    }
}

impl From<ResourceRecord> for Resource {
    fn from(r: ResourceRecord) -> Self {
        Resource {
            name: r.name,
            contact: r.contact,
            description: r.description,
        }
    }
}
