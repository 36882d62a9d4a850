"""Attendance reports: fetch from Zoom (kept in the state store), analyse, export."""
