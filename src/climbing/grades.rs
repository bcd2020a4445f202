//! Grades: parsing, conversion, comparison and bands across grading systems.
