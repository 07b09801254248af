//! The console's words in English and Simplified Chinese, chosen by the browser's
//! `Accept-Language` or the reader's switch.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language of a code (`en`, `zh`, `zh-CN`, …), when the console has it.
    pub(super) fn from_code(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        match code.split(['-', '_']).next() {
            Some("en") => Some(Self::En),
            Some("zh") => Some(Self::Zh),
            _ => None,
        }
    }

    /// The first language of `Accept-Language` the console has (by the header's order of
    /// preference), else English.
    pub(super) fn from_accept(headers: &HeaderMap) -> Self {
        let header = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut tags: Vec<(u16, usize, &str)> = header
            .split(',')
            .enumerate()
            .map(|(i, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next().unwrap_or("").trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
                (q, i, tag)
            })
            .collect();
        tags.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        tags.iter().filter(|t| t.0 > 0).find_map(|t| Self::from_code(t.2)).unwrap_or(Self::En)
    }

    /// The code, as in `<html lang>`.
    pub(super) fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Zh => "zh-CN",
        }
    }

    /// The console's text for `key` in this language.
    pub(super) fn t(self, key: Key) -> &'static str {
        let (en, zh) = match key {
            Key::Console => ("payplan console", "payplan 控制台"),
            Key::SignIn => ("Sign in", "登录"),
            Key::SignOut => ("Sign out", "退出"),
            Key::Token => ("Token", "令牌"),
            Key::UnknownToken => ("That token is not known.", "无效的令牌。"),
            Key::Runs => ("Runs", "运行记录"),
            Key::Run => ("Run", "运行"),
            Key::Period => ("Period", "周期"),
            Key::Plan => ("Plan", "方案"),
            Key::Plans => ("Plans", "方案"),
            Key::Version => ("Version", "版本"),
            Key::PublishedBy => ("Published by", "发布人"),
            Key::PublishedAt => ("Published at", "发布时间"),
            Key::RecordedBy => ("Recorded by", "记录人"),
            Key::RecordedAt => ("Recorded at", "记录时间"),
            Key::Total => ("Total", "合计"),
            Key::Closed => ("Closed", "已结账"),
            Key::Final => ("final run", "最终运行"),
            Key::Open => ("open", "未结账"),
            Key::Stale => ("stale: its history was adjusted", "已过期：其历史已调整"),
            Key::Current => ("current", "有效"),
            Key::History => ("History", "历史"),
            Key::Participant => ("Participant", "参与人"),
            Key::Participants => ("Participants", "参与人"),
            Key::Statement => ("Statement", "结算单"),
            Key::Policy => ("Policy", "政策"),
            Key::Component => ("Component", "项目"),
            Key::Amount => ("Amount", "金额"),
            Key::Explanation => ("Explanation", "说明"),
            Key::Scores => ("Scores", "评分"),
            Key::Score => ("Score", "分数"),
            Key::Grade => ("Grade", "等级"),
            Key::DrawBalance => ("Draw balance", "预支余额"),
            Key::DownloadCsv => ("Download CSV", "下载 CSV"),
            Key::Replay => ("Replay", "重放"),
            Key::Verify => ("Verify the chain", "校验审计链"),
            Key::Matches => ("Replay matches the stored result byte for byte.", "重放结果与存储结果逐字节一致。"),
            Key::Differs => ("Replay differs from the stored result.", "重放结果与存储结果不一致。"),
            Key::ChainOk => ("Every record, link and blob checks.", "所有记录、链接和数据块均校验通过。"),
            Key::ChainBad => ("The chain does not verify.", "审计链校验失败。"),
            Key::Previous => ("Previous", "上一页"),
            Key::Next => ("Next", "下一页"),
            Key::Page => ("Page", "页"),
            Key::Statements => ("Your statements", "我的结算单"),
            Key::Language => ("中文", "English"),
            Key::Error => ("Error", "错误"),
            Key::Gate => {
                ("Publish gate: the new version on the periods already paid", "发布闸门：新版本在已发放周期上的结果")
            }
            Key::Series => ("Series", "系列"),
            Key::Param => ("Param", "参数"),
            Key::Kind => ("Kind", "类型"),
            Key::Value => ("Value", "取值"),
            Key::WhatIf => ("What-if of two plan versions", "方案对比推演"),
            Key::Compare => ("Compare", "对比"),
            Key::Delta => ("Change", "变化"),
            Key::Gainers => ("Paid more", "增加人数"),
            Key::Losers => ("Paid less", "减少人数"),
            Key::Computing => (
                "Working out what the version pays; the page shows it when it is ready.",
                "正在按该方案版本计算应付金额，完成后本页自动显示结果。",
            ),
            Key::Reload => ("Reload", "刷新"),
            Key::PrizeSplit => ("Split among members", "组内分配"),
            Key::Histogram => ("Changes per participant", "每人变化分布"),
            Key::LargestMovers => ("Largest movers", "变化最大者"),
            Key::Progress => ("Target progress", "目标进度"),
            Key::Champions => ("Champions wall", "销冠墙"),
            Key::PkBoard => ("Group PK board", "小组 PK 榜"),
            Key::Sales => ("Sales", "销售额"),
            Key::Target => ("Target", "目标"),
            Key::Attainment => ("Attainment", "达成率"),
            Key::Deviation => ("Deviation", "偏差"),
            Key::TierLines => ("Tier lines", "档位线"),
            Key::Teams => ("Teams", "团队"),
            Key::Team => ("Team", "团队"),
            Key::RankedBy => ("Ranked by", "排名依据"),
            Key::Rank => ("Rank", "名次"),
            Key::Group => ("Group", "小组"),
            Key::Members => ("Members", "成员数"),
            Key::Prize => ("Prize", "奖金"),
            Key::ThisPeriod => ("This period", "本期"),
            Key::ThisQuarter => ("This quarter", "本季度"),
            Key::BySales => ("By sales", "按销售额"),
            Key::ByAttainment => ("By attainment", "按达成率"),
            Key::Periods => ("Periods", "周期"),
            Key::Credits => ("Credits", "业绩归属"),
            Key::Deal => ("Deal", "订单"),
            Key::ClosedOn => ("Closed on", "成交日期"),
            Key::How => ("How", "方式"),
            Key::Credit => ("Credit", "计入业绩"),
            Key::Whole => ("whole", "全额"),
            Key::Split => ("split", "分成"),
            Key::Overlay => ("overlay", "叠加"),
            Key::Stored => ("Stored", "存储值"),
            Key::Replayed => ("Replayed", "重放值"),
        };
        match self {
            Self::En => en,
            Self::Zh => zh,
        }
    }

    /// The other language, for the switch.
    pub(super) fn other(self) -> Self {
        match self {
            Self::En => Self::Zh,
            Self::Zh => Self::En,
        }
    }
}

/// A piece of the console's text.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy)]
pub(super) enum Key {
    Console,
    SignIn,
    SignOut,
    Token,
    UnknownToken,
    Runs,
    Run,
    Period,
    Plan,
    Plans,
    Version,
    PublishedBy,
    PublishedAt,
    RecordedBy,
    RecordedAt,
    Total,
    Closed,
    Final,
    Open,
    Stale,
    Current,
    History,
    Participant,
    Participants,
    Statement,
    Policy,
    Component,
    Amount,
    Explanation,
    Scores,
    Score,
    Grade,
    DrawBalance,
    DownloadCsv,
    Replay,
    Verify,
    Matches,
    Differs,
    ChainOk,
    ChainBad,
    Previous,
    Next,
    Page,
    Statements,
    Language,
    Error,
    Gate,
    Series,
    Param,
    Kind,
    Value,
    WhatIf,
    Compare,
    Delta,
    Gainers,
    Losers,
    Computing,
    Reload,
    PrizeSplit,
    Histogram,
    LargestMovers,
    Progress,
    Champions,
    PkBoard,
    Sales,
    Target,
    Attainment,
    Deviation,
    TierLines,
    Teams,
    Team,
    RankedBy,
    Rank,
    Group,
    Members,
    Prize,
    ThisPeriod,
    ThisQuarter,
    BySales,
    ByAttainment,
    Periods,
    Credits,
    Deal,
    ClosedOn,
    How,
    Credit,
    Whole,
    Split,
    Overlay,
    Stored,
    Replayed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(header: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, header.parse().unwrap());
        Lang::from_accept(&headers)
    }

    #[test]
    fn the_browsers_first_language_the_console_has_wins() {
        assert_eq!(accept("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(accept("fr-FR, en;q=0.5, zh;q=0.4"), Lang::En);
        assert_eq!(accept("en;q=0.2, zh-Hans;q=0.9"), Lang::Zh);
        assert_eq!(accept("zh;q=0, de"), Lang::En);
        assert_eq!(accept(""), Lang::En);
    }
}
