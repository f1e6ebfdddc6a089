//! Retention (spec §15.3): personal data and photos deleted 30 days after registration,
//! by the hourly sweep and inside every request that touches students.

use super::*;

impl App {
    /// Deletes personal data held longer than 30 days; returns how many students it touched.
    pub fn run_retention(&self) -> Result<usize, ApiError> {
        self.transaction(|tx| {
            let n = sweep(tx, self.clock.now())?;
            Ok((n, n > 0))
        })
    }
}

/// Retention (spec §15.3): deletes personal data and photos registered 30 days ago or more.
pub(crate) fn sweep(tx: &dyn Tx, now: u64) -> Result<usize, StoreError> {
    let cutoff = to_i64(now.saturating_sub(RETENTION));
    let rows = tx.query_map(
        "UPDATE students SET claims = NULL, photo = NULL, photo_state = 'none', photo_reason = NULL,
                upload_hash = NULL, data_deleted_at = ?1
         WHERE claims IS NOT NULL AND registered_at <= ?2 RETURNING school_id, public_id",
        args![to_i64(now), cutoff],
        |r| {
            Ok(Expired {
                school: r.get(0)?,
                public_id: r.get(1)?,
            })
        },
    )?;
    for row in &rows {
        store::audit(tx, now, Some(row.school), "data_expired", &row.public_id)?;
    }
    Ok(rows.len())
}

/// A student whose data the sweep deleted.
struct Expired {
    school: i64,
    public_id: String,
}
