"""Money, rates, dates, day bases, calendars and errors that carry their source."""
